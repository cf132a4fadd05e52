// What waking a process for a lone packet costs on this machine, by runtime:
//   node --import tsx bench/wake-cost.ts [--pings 500]                                   (root)
// A client in namespace a sends one datagram every 10 ms to an echo in namespace b and times the
// answer. The far side is, in turn: b's kernel (an ICMP echo: no process wakes up), a Python
// echo, a Node echo on node:dgram, and a Node echo on the engine's own UDP socket (the addon).
// The client is the same small Python loop for every far side, and the far sides take turns in
// rounds of 50, so the differences are the echoes' own wake-up and callback cost, under the same
// load. A ping through the overlay enters the engines four times (a TUN read and a UDP read on
// each end), three of them by waking an idle engine, so this shows the floor of the RTT an engine
// written in that runtime adds when packets are 10 ms apart.
import { parseArgs } from 'node:util';
import { Lab, type LabProcess } from '../e2e/lab/index.js';

// Port 0 stands for the kernel: an ICMP echo request on a raw socket, answered by b's kernel.
const CLIENT = `
import json, os, socket, struct, sys, time
host, rounds, per_round = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ports = [int(p) for p in sys.argv[4:]]
payload = b'x' * 100

def checksum(data):
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xffff)
    return ~(total + (total >> 16)) & 0xffff

class Icmp:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.s.settimeout(1)
        self.ident, self.seq = os.getpid() & 0xffff, 0
    def exchange(self):
        self.seq = (self.seq + 1) & 0xffff
        header = struct.pack('!BBHHH', 8, 0, 0, self.ident, self.seq)
        packet = struct.pack('!BBHHH', 8, 0, checksum(header + payload), self.ident, self.seq) + payload
        self.s.sendto(packet, (host, 0))
        while True:
            reply = self.s.recv(2048)
            kind, _, _, ident, seq = struct.unpack('!BBHHH', reply[20:28])
            if kind == 0 and ident == self.ident and seq == self.seq:
                return

class Udp:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(1)
        self.s.connect((host, port))
    def exchange(self):
        self.s.send(payload)
        self.s.recv(2048)

far = {p: Icmp() if p == 0 else Udp(p) for p in ports}
times = {p: [] for p in ports}
for _ in range(rounds):
    for p in ports:
        for _ in range(per_round):
            t = time.perf_counter()
            far[p].exchange()
            times[p].append((time.perf_counter() - t) * 1e6)
            time.sleep(0.01)
print(json.dumps(times))
`;

const PYTHON_ECHO = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', int(sys.argv[1])))
print('listening', flush=True)
while True:
    m, a = s.recvfrom(2048)
    s.sendto(m, a)
`;

const DGRAM_ECHO = `
const socket = require('node:dgram').createSocket('udp4');
socket.on('message', (m, from) => socket.send(m, from.port, from.address));
socket.bind(Number(process.argv[1]), () => console.log('listening'));
`;

const PER_ROUND = 50;

const { values: options } = parseArgs({ options: { pings: { type: 'string', default: '500' } } });
const pings = Number(options.pings);
if (!(pings >= PER_ROUND)) throw new Error(`use --pings ${PER_ROUND} or more`);
if (process.getuid?.() !== 0) throw new Error('bench/wake-cost.ts needs root: it builds network namespaces');

interface FarSide {
  readonly name: string;
  readonly port: number;
  start?(port: number): LabProcess;
}

const lab = await Lab.create();
try {
  const lan = await lab.segment('lan');
  const a = await lab.host('a', { on: lan });
  const b = await lab.host('b', { on: lan });
  const farSides: FarSide[] = [
    { name: 'the kernel (ICMP echo)', port: 0 },
    {
      name: 'python3 echo',
      port: 9001,
      start: (port) => b.spawn(['python3', '-c', PYTHON_ECHO, String(port)]),
    },
    {
      name: 'node echo, node:dgram',
      port: 9002,
      start: (port) => b.spawn([process.execPath, '-e', DGRAM_ECHO, String(port)]),
    },
    {
      name: "node echo, the engine's UDP socket",
      port: 9003,
      start: (port) => b.spawnScript('bench/wake-cost/native-echo.ts', [String(port)]),
    },
  ];
  for (const side of farSides) await side.start?.(side.port).waitForOutput(/listening/);
  const rounds = Math.round(pings / PER_ROUND);
  const run = await a.exec(
    [
      'python3',
      '-c',
      CLIENT,
      b.ip,
      String(rounds),
      String(PER_ROUND),
      ...farSides.map((side) => String(side.port)),
    ],
    { timeoutMs: rounds * farSides.length * PER_ROUND * 20 + 30_000 },
  );
  const times = JSON.parse(run.stdout) as Record<string, number[]>;
  const percentile = (values: readonly number[], p: number): number => {
    const sorted = [...values].sort((x, y) => x - y);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  };
  const kernelP50 = percentile(times[String(farSides[0]!.port)] ?? [], 50);
  const header = ['far side'.padEnd(38), 'RTT p50 µs', 'RTT p90 µs', 'one wake-up, p50 µs'];
  console.log(header.join('  '));
  console.log('-'.repeat(header.join('  ').length));
  for (const side of farSides) {
    const values = times[String(side.port)] ?? [];
    const p50 = percentile(values, 50);
    console.log(
      [
        side.name.padEnd(38),
        p50.toFixed(0).padStart(10),
        percentile(values, 90).toFixed(0).padStart(10),
        (side.start ? (p50 - kernelP50).toFixed(0) : '-').padStart(19),
      ].join('  '),
    );
  }
  console.log(
    `\n${new Date().toISOString()}: ${rounds * PER_ROUND} datagrams of 100 bytes per far side, 10 ms apart, ` +
      `in rounds of ${PER_ROUND}; "one wake-up" = RTT minus the kernel's: what waking the echo adds.`,
  );
} finally {
  await lab.destroy();
}
