// Runs the measuring tools inside the lab and turns their output into figures; the reading of
// the output lives in iperf-output.ts and ping-output.ts, so it is tested on captured runs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cut, NetNode } from '../../e2e/lab/index.js';
import { median } from '../../e2e/scenarios/hnet-node.js';
import { parseIperfJson, type Throughput } from './iperf-output.js';
import type { Parsed } from './output-error.js';
import { longestLossRun, parsePing, rttPercentiles, type RttPercentiles } from './ping-output.js';

/** The TCP port iperf3 servers listen on in the lab. */
export const iperfPort = 5201;

function figure<T>(what: string, result: Parsed<T>, stderr = ''): T {
  if (result.ok) return result.value;
  const detail = stderr.trim();
  throw new Error(`${what}: ${result.error.message}${detail ? `\n${detail}` : ''}`);
}

/** A throughput run and what it cost the machine. */
export interface MeasuredThroughput extends Throughput {
  /**
   * CPU time the whole machine spent (every process and the kernel, both ends: one machine holds
   * the lab) per Gbit carried, while iperf3 measured; comparable between rows of one run only.
   */
  readonly cpuSecondsPerGbit: number;
}

/** CPU seconds spent busy so far on every core (user, nice, system, irq, softirq; USER_HZ ticks of 10 ms). */
async function busyCpuSeconds(): Promise<number> {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = first
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq) / 100;
}

/** One TCP stream from client to a one-shot iperf3 server; the first second (slow start) is left out. */
export async function measureThroughput(
  client: NetNode,
  server: NetNode,
  address: string,
  seconds: number,
): Promise<MeasuredThroughput> {
  const listener = server.spawn([
    'iperf3',
    '--server',
    '--one-off',
    '--forceflush',
    '--port',
    String(iperfPort),
  ]);
  try {
    await listener.waitForOutput(/Server listening/);
    const running = client.exec(
      [
        'iperf3',
        '--client',
        address,
        '--port',
        String(iperfPort),
        '--time',
        String(seconds),
        '--omit',
        '1',
        '--json',
      ],
      { allowFailure: true, timeoutMs: (seconds + 20) * 1000 },
    );
    // From the end of the second iperf3 leaves out to the end of the run.
    await sleep(1_000);
    const cpuFrom = await busyCpuSeconds();
    const from = performance.now();
    const run = await running;
    const cpuPerSecond = ((await busyCpuSeconds()) - cpuFrom) / ((performance.now() - from) / 1000);
    const throughput = figure(
      `iperf3 from ${client.name} to ${address}`,
      parseIperfJson(run.stdout),
      run.stderr,
    );
    return { ...throughput, cpuSecondsPerGbit: cpuPerSecond / (throughput.mbitPerSecond / 1000) };
  } finally {
    await listener.stop();
  }
}

/**
 * The median of `rounds` runs: one run on a shared 2-core machine can be off by a factor of two
 * when other work lands on the same cores, and the median shrugs off one such run.
 */
export async function measureMedianThroughput(
  client: NetNode,
  server: NetNode,
  address: string,
  { seconds, rounds }: { readonly seconds: number; readonly rounds: number },
): Promise<MeasuredThroughput> {
  const runs: MeasuredThroughput[] = [];
  for (let round = 0; round < rounds; round++)
    runs.push(await measureThroughput(client, server, address, seconds));
  const median = runs.sort((x, y) => x.mbitPerSecond - y.mbitPerSecond)[Math.floor((rounds - 1) / 2)];
  if (median === undefined) throw new RangeError('throughput needs at least one round');
  return median;
}

/**
 * `count` echo requests 10 ms apart (sub-200 ms intervals need root, which the lab has anyway).
 * ping writes to a file read afterwards: reading its lines as they come would wake this process
 * for each, and its garbage collector then ran on both cores for milliseconds at a time, right
 * when the overlay's processes wanted them (seen with `perf sched timehist`).
 */
export async function measureRtt(from: NetNode, address: string, count: number): Promise<RttPercentiles> {
  const dir = await mkdtemp(join(tmpdir(), 'hnet-bench-ping-'));
  try {
    const file = join(dir, 'ping.txt');
    const command = `ping -n -i 0.01 -c ${count} ${address} > ${file}`;
    const run = await from.exec(['sh', '-c', command], {
      allowFailure: true,
      timeoutMs: count * 10 + 15_000,
    });
    const what = `ping from ${from.name} to ${address}`;
    return figure(what, rttPercentiles(figure(what, parsePing(await readFile(file, 'utf8')), run.stderr)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The median of what `look` returns (an overlay's own RTT figure), asked every 500 ms from 2 s
 * after the call until `running` settles: while pings run, so their own figure is there to compare.
 * Null when it never showed one.
 */
export async function medianShownWhile(
  running: Promise<unknown>,
  look: () => Promise<number | null>,
): Promise<number | null> {
  let settled = false;
  void running.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(2_000);
  const shown: number[] = [];
  while (!settled) {
    const rtt = await look();
    if (rtt !== null) shown.push(rtt);
    await sleep(500);
  }
  return shown.length === 0 ? null : median(shown);
}

const attemptMs = 100;

/**
 * Milliseconds from `since` (a `performance.now()` taken just before both endpoints were started)
 * until a ping gets through, trying every 100 ms with a fresh `ping -c 1`: before the overlay
 * has its interface and route, ping fails at once rather than waiting, so one long-running ping
 * would not do. A reply slower than 100 ms is missed and the next attempt counts instead.
 */
export async function timeToFirstPing(
  from: NetNode,
  address: string,
  since: number,
  timeoutMs = 30_000,
): Promise<number> {
  for (;;) {
    const attempt = performance.now();
    const run = await from.exec(['ping', '-n', '-c', '1', '-W', String(attemptMs / 1000), address], {
      allowFailure: true,
    });
    if (run.code === 0) return performance.now() - since;
    if (performance.now() - since > timeoutMs)
      throw new Error(
        `no ping from ${from.name} to ${address} got through within ${timeoutMs / 1000} s of starting:\n${run.stdout}${run.stderr}`.trim(),
      );
    await sleep(Math.max(0, attempt + attemptMs - performance.now()));
  }
}

export interface FailoverGap {
  /** Longest run of lost replies × the ping interval. */
  readonly gapMs: number;
  readonly lostReplies: number;
}

export interface FailoverOptions {
  /** Pinging before the cut, so the path is settled and the run starts with replies. */
  readonly beforeMs: number;
  /** Pinging after the cut: how long the overlay has to find another path. */
  readonly afterMs: number;
}

/**
 * Pings every 100 ms, breaks the path mid-run, and reports the longest stretch without replies.
 * The cut is healed before returning, so later measurements see the whole lab again.
 */
export async function measureFailoverGap(
  from: NetNode,
  address: string,
  breakPath: () => Promise<Cut>,
  { beforeMs, afterMs }: FailoverOptions,
): Promise<FailoverGap> {
  const intervalMs = 100;
  const count = Math.ceil((beforeMs + afterMs) / intervalMs);
  const ping = from.spawn(['ping', '-n', '-i', String(intervalMs / 1000), '-c', String(count), address]);
  await sleep(beforeMs);
  const cut = await breakPath();
  try {
    await ping.exited;
  } finally {
    await cut.heal();
  }
  const what = `ping from ${from.name} to ${address} across the cut`;
  const loss = longestLossRun(figure(what, parsePing(ping.stdout), ping.stderr));
  if (!loss.recovered)
    throw new Error(`${what}: replies had not come back ${afterMs / 1000} s after the cut`);
  return { gapMs: loss.lostInARow * intervalMs, lostReplies: loss.lostInARow };
}
