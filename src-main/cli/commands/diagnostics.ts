// Asking why: `hnet ping` (a heartbeat through the engine, with the path each way) and
// `hnet netcheck` (base servers over UDP and TCP, this NAT's mapping, LAN beacons).
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../../engine/client.js';
import { MAX_PING_TIMEOUT_MS, MIN_PING_TIMEOUT_MS } from '../../contract/control-calls.js';
import type { PingResult } from '../../contract/diagnostics.js';
import {
  EXIT_FAILED,
  EXIT_OK,
  jsonOption,
  print,
  printJson,
  report,
  request,
  seconds,
  UsageError,
  type Command,
  type Values,
} from '../command.js';
import { formatNetcheck, pathChange, pingLine, pingSummary, pingTarget } from '../format-diagnostics.js';

const MIN_INTERVAL_S = 0.2;

function pingSettings(values: Values): { count: number; intervalMs: number; timeoutMs: number } {
  const rawCount = values['count'] ?? '5';
  const count = Number(rawCount);
  if (typeof rawCount !== 'string' || !Number.isInteger(count) || count < 0)
    throw new UsageError(`--count must be a whole number (0: until Ctrl-C), not "${String(rawCount)}"`);
  const interval = seconds(values, 'interval', 1);
  if (interval < MIN_INTERVAL_S) throw new UsageError(`--interval must be at least ${MIN_INTERVAL_S} s`);
  const timeoutMs = Math.round(seconds(values, 'timeout', 2) * 1000);
  if (timeoutMs < MIN_PING_TIMEOUT_MS || timeoutMs > MAX_PING_TIMEOUT_MS)
    throw new UsageError(
      `--timeout must be between ${MIN_PING_TIMEOUT_MS / 1000} and ${MAX_PING_TIMEOUT_MS / 1000} s`,
    );
  return { count, intervalMs: interval * 1000, timeoutMs };
}

async function ping(host: string, values: Values, socketPath: string): Promise<number> {
  const { count, intervalMs, timeoutMs } = pingSettings(values);
  const json = values['json'] === true;
  const connected = await ControlClient.connect(socketPath);
  if (!connected.ok) return report(connected.error);
  const client = connected.value;
  let interrupted = false;
  const interrupt = () => (interrupted = true);
  process.once('SIGINT', interrupt);
  const results: PingResult[] = [];
  try {
    for (let seq = 1; (count === 0 || seq <= count) && !interrupted; seq++) {
      const started = performance.now();
      const answer = await client.call('ping', { host, timeoutMs });
      if (!answer.ok) return report(answer.error);
      const result = answer.value;
      if (json) print(JSON.stringify({ seq, ...result }));
      else {
        if (seq === 1) print(`PING ${pingTarget(result)} through hnet`);
        const change = pathChange(results.at(-1), result);
        if (change) print(change);
        print(pingLine(result, seq, timeoutMs));
      }
      results.push(result);
      const last = count !== 0 && seq === count;
      const rest = intervalMs - (performance.now() - started);
      if (!last && rest > 0 && !interrupted) await sleep(rest);
    }
  } finally {
    process.off('SIGINT', interrupt);
    client.close();
  }
  if (!json && results[0]) print(pingSummary(pingTarget(results[0]), results));
  return results.some((r) => r.rttMs !== null) ? EXIT_OK : EXIT_FAILED;
}

export const diagnosticCommands: Command[] = [
  {
    name: 'ping',
    args: '<name|address> [--count n] [--interval s] [--timeout s] [--json]',
    summary: 'round trips to a peer through hnet, each with the path it took (direct or via the base)',
    details:
      'Each ping is a heartbeat of the security layer sent by the engine, so it shows what ICMP ping ' +
      'cannot: whether the engine sent it directly (to which endpoint) or through the base (over UDP ' +
      'or TCP), and a note when that changes. It works without hnet0 and counts as traffic: an idle ' +
      'peer wakes and looks for a direct path. --count defaults to 5 (0: until Ctrl-C), --interval ' +
      'to 1 s, --timeout (per reply) to 2 s. With --json, one result per line. Exits 1 when no reply came.',
    options: {
      ...jsonOption,
      count: { type: 'string', short: 'c' },
      interval: { type: 'string', short: 'i' },
      timeout: { type: 'string', short: 'W' },
    },
    arity: [1, 1],
    run: ({ positionals: [host = ''], values, socketPath }) => ping(host, values, socketPath),
  },
  {
    name: 'netcheck',
    args: '[--json]',
    summary: 'check the network: base servers over UDP and TCP, NAT mapping, LAN beacons, port mapping',
    details:
      "hnetd probes each base server from sockets of its own (a TCP connect, and hnet's netcheck probe " +
      'over UDP, which tells what address the base sees), then compares what two base ports saw of one ' +
      'socket: the same public port means peers can reach this machine directly. Takes a few seconds.',
    options: jsonOption,
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      request(socketPath, 'netcheck', {}, (report) =>
        values['json'] ? printJson(report) : print(formatNetcheck(report)),
      ),
  },
];
