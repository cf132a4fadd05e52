// TUN throughput of the engine's packet path: `node --import tsx bench/tun.ts` (root).
// Runs in a namespace of its own, with 1350-byte packets, two scenarios:
//
// 1. Reflect: a UDP sender (a separate process) blasts packets at an overlay address. The kernel
//    routes them into hnet0; this process reads them from the fd (tun-io.ts: reader thread +
//    batches), swaps source and destination (addresses and ports — the UDP checksum stays valid)
//    and writes them back; the kernel delivers them to the sender's socket, which counts them.
//    Realistic, but on a small machine the sender (Node, one datagram per call) is the limit.
// 2. Circulate: no sender. 256 packets between two non-local overlay addresses are written once;
//    with forwarding on, the kernel routes each straight back out hnet0, so each packet loops
//    read → write → forward → read. This measures the TUN read+write loop alone.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TunIo } from '../src-main/engine/io/tun-io.js';
import { loadNative } from '../src-helper/api/native.js';
import { configureTun } from '../src-helper/tun-config.js';

const PACKET_BYTES = 1350;
const UDP_PAYLOAD = PACKET_BYTES - 40 - 8;
const LOCAL = 'fc94:0000:0000:0000:0000:0000:0000:0001';
const REMOTE = 'fc94::2';
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;

// The sender: plain JS so it starts fast; sends bursts on a connected socket and counts what
// comes back (the reflected packets), reporting once a second.
const SENDER = `
const socket = require('node:dgram').createSocket({ type: 'udp6', sendBufferSize: 4 << 20, recvBufferSize: 8 << 20 });
const payload = Buffer.alloc(${UDP_PAYLOAD}, 0x5a);
let sent = 0, received = 0;
socket.on('message', () => received++);
socket.connect(9000, '${REMOTE}', () => {
  const burst = () => {
    for (let i = 0; i < 64; i++) socket.send(payload, (error) => { if (!error) sent++; });
    setImmediate(burst);
  };
  burst();
  setInterval(() => console.log(JSON.stringify({ sent, received })), 250);
});
`;

/** Swaps addresses and ports in place: a reply that the sender's connected socket accepts. */
function reflect(packet: Uint8Array): void {
  for (let i = 8; i < 24; i++) {
    const byte = packet[i]!;
    packet[i] = packet[i + 16]!;
    packet[i + 16] = byte;
  }
  for (let i = 40; i < 42; i++) {
    const byte = packet[i]!;
    packet[i] = packet[i + 2]!;
    packet[i + 2] = byte;
  }
}

interface Counts {
  read: number;
  written: number;
  seconds: number;
}

function report(title: string, io: TunIo, measure: () => Promise<void>): Promise<Counts> {
  return (async () => {
    const start = { ...io.stats, at: performance.now(), cpu: process.cpuUsage() };
    await measure();
    const seconds = (performance.now() - start.at) / 1000;
    const cpu = process.cpuUsage(start.cpu);
    const read = io.stats.packetsRead - start.packetsRead;
    const written = io.stats.packetsWritten - start.packetsWritten;
    const mbit = (bytes: number): string => `${((bytes * 8) / seconds / 1e6).toFixed(0)} Mbit/s`;
    console.log(`${title} (${seconds.toFixed(1)} s):`);
    console.log(`  read from fd:      ${rate(read, seconds)}  ${mbit(io.stats.bytesRead - start.bytesRead)}`);
    console.log(
      `  written to fd:     ${rate(written, seconds)}  ${mbit(io.stats.bytesWritten - start.bytesWritten)}`,
    );
    console.log(
      `  reader batches:    ${(read / (io.stats.batchesRead - start.batchesRead) || 0).toFixed(1)} packets per batch`,
    );
    console.log(`  write drops:       ${io.stats.writesDropped - start.writesDropped}`);
    console.log(
      `  engine CPU:        ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)}% of one core (user+system, both threads)`,
    );
    return { read, written, seconds };
  })();
}

const queueDrops = (device: string): number =>
  Number(readFileSync(`/sys/class/net/${device}/statistics/tx_dropped`, 'utf8'));

const rate = (n: number, seconds: number): string =>
  `${Math.round(n / seconds).toLocaleString('en')} packets/s`;

async function reflectScenario(): Promise<void> {
  const tun = loadNative().openTun('hnet0');
  await configureTun({ name: 'hnet0', address: LOCAL, mtu: PACKET_BYTES, overlayRoute: true });
  const io = new TunIo(tun.fd, {
    onPacket: (packet) => {
      // Only the sender's UDP packets; the kernel also sends router solicitations and MLD.
      if (packet.length !== PACKET_BYTES || packet[6] !== 17) return;
      reflect(packet);
      io.write(packet);
    },
  });
  const sender = spawn(process.execPath, ['-e', SENDER], { stdio: ['ignore', 'pipe', 'inherit'] });
  let senderCounts = { sent: 0, received: 0 };
  sender.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const last = chunk.trim().split('\n').at(-1);
    if (last) senderCounts = JSON.parse(last) as typeof senderCounts;
  });
  try {
    await sleep(WARMUP_MS);
    const before = senderCounts;
    const dropsBefore = queueDrops('hnet0');
    await report('Reflect: UDP sender -> hnet0 -> engine reflects -> sender', io, () => sleep(MEASURE_MS));
    console.log(`  sender sent:       ${rate(senderCounts.sent - before.sent, MEASURE_MS / 1000)}`);
    console.log(`  sender got back:   ${rate(senderCounts.received - before.received, MEASURE_MS / 1000)}`);
    console.log(
      `  TUN queue drops:   ${rate(queueDrops('hnet0') - dropsBefore, MEASURE_MS / 1000)} (kernel -> engine queue full)`,
    );
  } finally {
    sender.kill();
    await io.close();
  }
}

async function circulateScenario(): Promise<void> {
  execFileSync('sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
  const tun = loadNative().openTun('hnet1');
  await configureTun({ name: 'hnet1', address: LOCAL, mtu: PACKET_BYTES, overlayRoute: true });
  const io = new TunIo(tun.fd, {
    onPacket: (packet) => {
      if (packet.length !== PACKET_BYTES || packet[6] !== 17) return;
      packet[7] = 64; // the kernel decremented the hop limit when it forwarded the packet
      io.write(packet);
    },
  });
  try {
    const seed = new Uint8Array(PACKET_BYTES);
    const view = new DataView(seed.buffer);
    view.setUint32(0, 0x60000000);
    view.setUint16(4, PACKET_BYTES - 40);
    seed[6] = 17;
    seed[7] = 64;
    seed.set([0xfc, 0x94], 8);
    seed[23] = 3;
    seed.set([0xfc, 0x94], 24);
    seed[39] = 4;
    view.setUint16(40, 7000);
    view.setUint16(42, 9000);
    view.setUint16(44, PACKET_BYTES - 40);
    for (let i = 0; i < 256; i++) io.write(seed);
    await sleep(WARMUP_MS);
    await report('Circulate: 256 packets looping engine <-> kernel forwarding', io, () => sleep(MEASURE_MS));
  } finally {
    await io.close();
  }
}

async function inside(): Promise<void> {
  await reflectScenario();
  console.log('');
  await circulateScenario();
}

async function outside(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench/tun.ts needs root (it creates a namespace and a TUN device)');
  const namespace = `hnbench${process.pid}`;
  execFileSync('ip', ['netns', 'add', namespace]);
  try {
    execFileSync('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up']);
    execFileSync(
      'ip',
      [
        'netns',
        'exec',
        namespace,
        process.execPath,
        '--import',
        'tsx',
        new URL(import.meta.url).pathname,
        '--inside',
      ],
      { stdio: 'inherit' },
    );
  } finally {
    execFileSync('ip', ['netns', 'del', namespace]);
  }
}

await (process.argv.includes('--inside') ? inside() : outside());
