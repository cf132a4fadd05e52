// Data-plane cost of hnet against wireguard-go on the same two-host LAN, in the same run:
//   node --import tsx bench/data-plane.ts [--seconds 5] [--rounds 3] [--profile <dir>]   (root)
// For each overlay and round: one iperf3 TCP stream a → b, and the CPU time the overlay's
// processes spent per tunnelled packet on each side (the sender seals and sends, the receiver
// opens and writes, each also handling the other direction's ACKs). CPU time per packet is the
// figure to compare changes with: unlike Mbit/s, it hardly moves with other load on the machine.
// --profile writes V8 CPU profiles of both hnetd processes into <dir> (open in Chrome DevTools).
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab, type Host } from '../e2e/lab/index.js';
import { introduce, makeScratch, removeScratch, startNode, stopNode } from '../e2e/scenarios/hnet-node.js';
import type { HostPair } from './overlay/bench-lab.js';
import { measureThroughput } from './overlay/measure.js';
import type { OverlayUnderTest, RunningOverlay } from './overlay/overlay-under-test.js';
import { wireguardGo } from './overlay/wireguard-go.js';

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'string' },
  },
});
const seconds = Number(options.seconds);
const rounds = Number(options.rounds);
if (!(seconds >= 1 && Number.isInteger(rounds) && rounds >= 1))
  throw new Error('use --seconds 1 or more (iperf3 run length) and --rounds 1 or more');
if (process.getuid?.() !== 0) throw new Error('bench/data-plane.ts needs root: it builds network namespaces');
const progress = (text: string): void => void process.stderr.write(`${text}\n`);
const TICKS_PER_SECOND = 100;

/** CPU seconds used so far by every process in the host's namespace except the measuring tools. */
async function overlayCpuSeconds(host: Host): Promise<number> {
  const { stdout } = await host.exec(['ip', 'netns', 'pids', host.namespace]);
  let ticks = 0;
  for (const pid of stdout.split('\n').filter(Boolean)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const [name, rest] = [
      stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      stat.slice(stat.lastIndexOf(')') + 2),
    ];
    if (!rest || name === 'iperf3' || name === 'ip') continue;
    const fields = rest.split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Packets through the overlay's interface (the one that is neither loopback nor the underlay). */
async function overlayPackets(host: Host): Promise<{ rx: number; tx: number }> {
  const { stdout } = await host.exec(['cat', '/proc/net/dev']);
  for (const line of stdout.split('\n').slice(2)) {
    const [name, counters] = line.split(':');
    const iface = name?.trim();
    if (!iface || !counters || iface === 'lo' || iface === 'eth0') continue;
    const fields = counters.trim().split(/\s+/).map(Number);
    return { rx: fields[1] ?? 0, tx: fields[9] ?? 0 };
  }
  throw new Error(`no overlay interface in ${host.name}`);
}

interface Round {
  mbit: number;
  sendUsPerPacket: number;
  receiveUsPerPacket: number;
  packets: number;
}

async function measureRound(pair: HostPair, running: RunningOverlay): Promise<Round> {
  const before = await Promise.all([pair.a, pair.b].map(overlayCpuSeconds));
  const packetsBefore = await overlayPackets(pair.a);
  const throughput = await measureThroughput(pair.a, pair.b, running.addressOf(pair.b), seconds);
  const after = await Promise.all([pair.a, pair.b].map(overlayCpuSeconds));
  const packetsAfter = await overlayPackets(pair.a);
  // Includes iperf3's connection set-up and the omitted first second: the same for every overlay.
  const packets = packetsAfter.tx - packetsBefore.tx;
  return {
    mbit: throughput.mbitPerSecond,
    sendUsPerPacket: ((after[0]! - before[0]!) / packets) * 1e6,
    receiveUsPerPacket: ((after[1]! - before[1]!) / packets) * 1e6,
    packets,
  };
}

/** hnet as installed, or with every packet in JavaScript (the data lane off) to show what the lane saves. */
function hnet(scratch: string, lane: 'on' | 'off'): OverlayUnderTest {
  return {
    name: lane === 'on' ? 'hnet' : 'hnet, data lane off',
    start: async (pair) => {
      const profile = options.profile;
      if (profile) {
        // Node refuses --cpu-prof in NODE_OPTIONS; a preload starts the profiler instead.
        process.env.NODE_OPTIONS = `--import tsx --import ${resolve('bench/cpu-profile.ts')}`;
        process.env.HNET_CPU_PROFILE_DIR = resolve(profile);
      }
      const nodes = await Promise.all(
        [pair.a, pair.b].map((host) =>
          startNode(host, scratch, { baseServers: [], env: { HNET_DATA_LANE: lane } }),
        ),
      );
      delete process.env.NODE_OPTIONS;
      delete process.env.HNET_CPU_PROFILE_DIR;
      await introduce(nodes);
      const address = new Map(nodes.map((node) => [node.host, node.address]));
      return {
        addressOf: (host) => address.get(host)!,
        stop: async () => {
          await Promise.all(nodes.map(stopNode));
        },
      };
    },
  };
}

async function waitForPing(pair: HostPair, address: string): Promise<void> {
  await pair.a.exec(['ping', '-c', '1', '-i', '0.2', '-w', '20', address]);
}

const lab = await Lab.create();
const scratch = await makeScratch();
try {
  const home = await lab.segment('home');
  const a = await lab.host('a', { on: home });
  const b = await lab.host('b', { on: home });
  const pair: HostPair = {
    path: 'same LAN',
    a,
    b,
    endpointOf: (host) => host.ip,
    underlay: { node: b, ip: b.ip },
    cutDirect: () => home.cut(a.ip, b.ip),
  };
  const overlays = [hnet(scratch, 'on'), hnet(scratch, 'off'), await wireguardGo()];
  const results = new Map<string, Round[]>();
  const loadAtStart = loadavg()[0] ?? 0;
  for (const overlay of overlays) {
    progress(`starting ${overlay.name}`);
    const running = await overlay.start(pair);
    try {
      await waitForPing(pair, running.addressOf(b));
      const list: Round[] = [];
      for (let round = 0; round < rounds; round++) {
        progress(`${overlay.name}: round ${round + 1}`);
        list.push(await measureRound(pair, running));
      }
      results.set(overlay.name, list);
    } finally {
      await running.stop();
    }
  }
  const median = (values: number[]): number =>
    values.sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)]!;
  const cell = (list: Round[], figure: (round: Round) => number, digits: number, width: number): string =>
    median(list.map(figure)).toFixed(digits).padStart(width);
  console.log(
    `${'overlay'.padEnd(26)} ${'Mbit/s'.padStart(8)} ${'send µs/pkt'.padStart(12)} ${'recv µs/pkt'.padStart(12)} ${'packets'.padStart(9)}`,
  );
  for (const [name, list] of results)
    console.log(
      [
        name.padEnd(26),
        cell(list, (r) => r.mbit, 0, 8),
        cell(list, (r) => r.sendUsPerPacket, 1, 12),
        cell(list, (r) => r.receiveUsPerPacket, 1, 12),
        cell(list, (r) => r.packets, 0, 9),
      ].join(' '),
    );
  console.log(
    `\nMedians of ${rounds} iperf3 runs of ${seconds} s (one TCP stream a → b over one LAN, no base server).\n` +
      `µs/pkt: CPU time of the overlay's processes on each side per packet a sent through the overlay.\n` +
      `Load average (1 min) at start ${loadAtStart.toFixed(1)}, at end ${(loadavg()[0] ?? 0).toFixed(1)}.`,
  );
} finally {
  await lab.destroy();
  await removeScratch(scratch);
}
