// Overlay benchmark, one table with every row measured in the same run on the same lab:
//   node --import tsx bench/overlay.ts [--json] [--seconds 5] [--rounds 3] [--pings 500]
//                                      [--build auto|compiled|sources]                  (root)
// Rows: the bare underlay of each path (plain veth + bridges + NATs), then each overlay on each
// path. Figures go from host a to host b. A second table breaks each first ping down into the
// steps on the way to it. Progress goes to stderr, the tables (or JSON) to stdout.
// hnet runs the compiled build (dist/, as users run it) when it is current, else the sources
// through tsx; --build insists on one, and the notes under the table say which ran.
import { cpus, loadavg, release } from 'node:os';
import { parseArgs } from 'node:util';
import { Lab } from '../e2e/lab/index.js';
import { buildBenchLab, type HostPair } from './overlay/bench-lab.js';
import {
  measureFailoverGap,
  measureRtt,
  medianShownWhile,
  measureMedianThroughput,
  timeToFirstPing,
  type FailoverOptions,
  type MeasuredThroughput,
} from './overlay/measure.js';
import type { OverlayUnderTest } from './overlay/overlay-under-test.js';
import type { RttPercentiles } from './overlay/ping-output.js';
import { chooseBuild, hnet, type BuildChoice } from './overlay/hnet.js';
import { formatStartupTable, formatTable, type Row, type StartupRow } from './overlay/table.js';
import { overlayMtu, wireguardGo } from './overlay/wireguard-go.js';

interface OverlayOnPath {
  readonly overlay: OverlayUnderTest;
  /** Only for overlays with another path to fall back on when the direct one is cut. */
  readonly failover?: FailoverOptions;
}

/** One path through the lab: its bare underlay row, then a row for each overlay on it. */
interface PathRows {
  readonly pair: HostPair;
  readonly overlays: readonly OverlayOnPath[];
}

interface Underlay {
  readonly throughput: MeasuredThroughput;
  readonly rtt: RttPercentiles;
}

const { values: options } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    pings: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    build: { type: 'string', default: 'auto' },
  },
});
const seconds = Number(options.seconds);
const pings = Number(options.pings);
const rounds = Number(options.rounds);
if (!(seconds >= 1 && pings >= 100 && Number.isInteger(rounds) && rounds >= 1))
  throw new Error(
    'use --seconds 1 or more (iperf3 run length), --pings 100 or more (for a p99), --rounds 1 or more (iperf3 runs per row)',
  );
const buildChoices: readonly BuildChoice[] = ['auto', 'compiled', 'sources'];
const buildChoice = buildChoices.find((choice) => choice === options.build);
if (buildChoice === undefined) throw new Error('use --build auto, compiled or sources');
if (process.getuid?.() !== 0) throw new Error('bench/overlay.ts needs root: it builds network namespaces');

/** Pings, 10 ms apart, while the overlay's status is read: 2 s before the first look, then 1 s of looks. */
const statusPings = 300;

const progress = (text: string): void => void process.stderr.write(`${text}\n`);

async function measureUnderlay(pair: HostPair): Promise<Underlay> {
  progress(`underlay, ${pair.path}`);
  const { node, ip } = pair.underlay;
  const throughput = await measureMedianThroughput(pair.a, node, ip, { seconds, rounds });
  return { throughput, rtt: await measureRtt(pair.a, ip, pings) };
}

function underlayRow(pair: HostPair, underlay: Underlay): Row {
  return {
    overlay: 'underlay',
    path: pair.path,
    throughputMbit: underlay.throughput.mbitPerSecond,
    tcpRetransmits: underlay.throughput.retransmits ?? null,
    cpuSecondsPerGbit: underlay.throughput.cpuSecondsPerGbit,
    offloads: null,
    ofUnderlayPercent: null,
    rttP50Ms: underlay.rtt.p50Ms,
    rttP99Ms: underlay.rtt.p99Ms,
    addedP50Ms: null,
    addedP99Ms: null,
    statusRttMs: null,
    firstPingMs: null,
    firstPingNewDeviceMs: null,
    firstPingHelperUpMs: null,
    failoverGapMs: null,
  };
}

interface OverlayFigures {
  readonly row: Row;
  readonly startup: StartupRow;
}

async function measureOverlay(
  pair: HostPair,
  { overlay, failover }: OverlayOnPath,
  underlay: Underlay,
): Promise<OverlayFigures> {
  progress(`${overlay.name}, ${pair.path}`);
  const startedAt = performance.now();
  const running = await overlay.start(pair);
  // How much of the first-ping figure is starting the processes, before any packet is sent.
  progress(`  started in ${(performance.now() - startedAt).toFixed(0)} ms`);
  try {
    const target = running.addressOf(pair.b);
    const firstStartMs = await timeToFirstPing(pair.a, target, startedAt);
    // An overlay that makes its keys as it first starts is timed again as a machine boots, keys
    // kept; the breakdown is of that start, the one a user waits for every day.
    const bootedAt = await running.restartAll?.();
    const since = bootedAt ?? startedAt;
    const firstPingMs = bootedAt === undefined ? firstStartMs : await timeToFirstPing(pair.a, target, since);
    const steps = [
      ...((await running.startupSteps?.(since)) ?? []),
      { step: 'first reply', ms: firstPingMs },
    ];
    progress(
      `  ${steps.map(({ step, ms }) => `${step} ${ms === null ? '-' : ms.toFixed(0)}`).join(', ')} ms`,
    );
    const throughput = await measureMedianThroughput(pair.a, pair.b, target, { seconds, rounds });
    const offloads = (await running.offloads?.()) ?? null;
    const rtt = await measureRtt(pair.a, target, pings);
    // Apart from the RTT pings: asking for the status while they run would delay some of them.
    const statusRttMs = running.shownRttMs
      ? await medianShownWhile(measureRtt(pair.a, target, statusPings), running.shownRttMs)
      : null;
    // With the privileged part already a running service (as after boot), only the daemons start.
    const restartedAt = await running.restartDaemons?.();
    const firstPingHelperUpMs =
      restartedAt === undefined ? null : await timeToFirstPing(pair.a, target, restartedAt);
    const gap = failover && (await measureFailoverGap(pair.a, target, () => pair.cutDirect(), failover));
    const row: Row = {
      overlay: overlay.name,
      path: pair.path,
      throughputMbit: throughput.mbitPerSecond,
      tcpRetransmits: throughput.retransmits ?? null,
      cpuSecondsPerGbit: throughput.cpuSecondsPerGbit,
      offloads,
      ofUnderlayPercent: (throughput.mbitPerSecond / underlay.throughput.mbitPerSecond) * 100,
      rttP50Ms: rtt.p50Ms,
      rttP99Ms: rtt.p99Ms,
      addedP50Ms: rtt.p50Ms - underlay.rtt.p50Ms,
      addedP99Ms: rtt.p99Ms - underlay.rtt.p99Ms,
      statusRttMs,
      firstPingMs,
      firstPingNewDeviceMs: bootedAt === undefined ? null : firstStartMs,
      firstPingHelperUpMs,
      failoverGapMs: gap ? gap.gapMs : null,
    };
    return { row, startup: { overlay: overlay.name, path: pair.path, steps } };
  } finally {
    await running.stop();
  }
}

const loadAtStart = loadavg()[0] ?? 0;
const lab = await Lab.create();
try {
  const bench = await buildBenchLab(lab);
  const wireguard = await wireguardGo();
  const hnetWithBase = await hnet(await lab.host('base', { on: bench.internet }), chooseBuild(buildChoice));
  progress(`${hnetWithBase.name} runs ${hnetWithBase.runs}`);
  // Pinging 3 s first lets the direct path settle; 7 s after the cut leaves room for a slow fallback.
  const failover = { beforeMs: 3_000, afterMs: 7_000 };
  const paths: PathRows[] = [
    {
      pair: bench.sameLan,
      overlays: [
        { overlay: wireguard },
        { overlay: hnetWithBase },
        { overlay: hnetWithBase.variant('offloads off', { HNET_OFFLOADS: 'off' }) },
        { overlay: hnetWithBase.variant('data lane off', { HNET_DATA_LANE: 'off' }) },
      ],
    },
    { pair: bench.coneNats, overlays: [{ overlay: wireguard }, { overlay: hnetWithBase, failover }] },
    // No hole can be punched between two symmetric NATs: hnet's traffic goes through the base.
    {
      pair: await bench.natPair('sym', 'symmetric'),
      overlays: [
        { overlay: hnetWithBase },
        { overlay: hnetWithBase.variant('offloads off', { HNET_OFFLOADS: 'off' }) },
      ],
    },
  ];

  const rows: Row[] = [];
  const startup: StartupRow[] = [];
  for (const { pair, overlays } of paths) {
    const underlay = await measureUnderlay(pair);
    rows.push(underlayRow(pair, underlay));
    for (const entry of overlays) {
      const figures = await measureOverlay(pair, entry, underlay);
      rows.push(figures.row);
      startup.push(figures.startup);
    }
  }

  const conditions = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    kernel: release(),
    iperf3: `one TCP stream, ${seconds} s after 1 s left out, median of ${rounds} runs`,
    ping: `${pings} echo requests 10 ms apart`,
    overlayMtu,
    underlayMtu: 1500,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    runs: Object.fromEntries(
      [wireguard, hnetWithBase].flatMap((overlay) => (overlay.runs ? [[overlay.name, overlay.runs]] : [])),
    ),
  };
  if (options.json) console.log(JSON.stringify({ conditions, rows, startup }, null, 2));
  else {
    console.log(formatTable(rows));
    console.log(`\nFirst ping, step by step (ms from starting both ends):\n${formatStartupTable(startup)}`);
    console.log(
      [
        '',
        `${conditions.date}, ${conditions.cpus} CPUs, Linux ${conditions.kernel}; overlay MTU ${overlayMtu}, underlay MTU 1500.`,
        `TCP: ${conditions.iperf3}. RTT: ${conditions.ping}; "added" = overlay minus underlay, per percentile.`,
        `Underlay through NATs: to the far NAT's public address, which forwards ping and iperf3 to b.`,
        `Load average (1 min) at start ${conditions.loadAverage.start.toFixed(1)}, at end ${conditions.loadAverage.end.toFixed(1)}: other work on the machine shows up here.`,
        `Status RTT: the median of what the overlay's own status showed for b every 500 ms while ${statusPings} more pings ran (from 2 s in).`,
        'First ping: from starting both ends, keys already made (as at boot), to the first reply, pinging every 100 ms.',
        'New device: the same from the very first start, keys made by it; "-" where keys are made before the start.',
        'Steps (of the boot) done on both ends count when the slower one got there; "peer known" and "handshake" are as a sees b.',
        'Helper running: the same from restarting the daemons alone (hnetd), the root helper left running as after boot.',
        "hnet programs start with the environment of their units: none of this shell's NODE_EXTRA_CA_CERTS (80 ms of CPU each).",
        'Failover gap: longest run of lost replies x 100 ms after the direct path is cut; "-" where no fallback exists.',
        'CPU s/Gbit: CPU time of the whole machine (both ends, the base, iperf3, the kernel) per Gbit carried while iperf3 measured.',
        'Offloads: as hnet status showed them on a after the run; "offloads off" is HNET_OFFLOADS=off, every packet on its own as before them.',
        ...Object.entries(conditions.runs).map(([name, runs]) => `${name}: ${runs}.`),
      ].join('\n'),
    );
  }
} finally {
  await lab.destroy();
}
