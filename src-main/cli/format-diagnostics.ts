// How `hnet ping` and `hnet netcheck` read to a person (`--json` prints the results unchanged).
import type { BaseCheck, NetcheckReport, PingPath, PingResult } from '../contract/diagnostics.js';
import { describePortMappingStatus } from '../contract/port-mapping.js';
import { formatMs, plural, shortAddress } from './text.js';

export function describePath(path: PingPath | null): string {
  if (!path) return 'not sent: no base server to relay through and no direct path yet';
  if (path.kind === 'direct') return `direct via ${path.endpoint}${path.lan ? ' (LAN)' : ''}`;
  return `via the base${path.server ? ` ${path.server}` : ''} over ${path.transport.toUpperCase()}`;
}

/** Two paths are the same way when a user would call them so: the same endpoint, or the base over the same transport. */
const pathKey = (path: PingPath | null): string =>
  !path
    ? 'none'
    : path.kind === 'direct'
      ? `direct ${path.endpoint}`
      : `base ${path.server} ${path.transport}`;

export const pingTarget = (result: Pick<PingResult, 'address' | 'hostname'>): string =>
  result.hostname ? `${result.hostname} (${shortAddress(result.address)})` : shortAddress(result.address);

/** One line per ping, as `ping` prints them, with the path the engine sent it on. */
export function pingLine(result: PingResult, seq: number, timeoutMs: number): string {
  const who = result.hostname ?? shortAddress(result.address);
  if (result.rttMs === null) {
    const how = result.sent ? `sent ${describePath(result.sent)}` : describePath(null);
    return `no reply from ${who} within ${timeoutMs / 1000} s: seq=${seq}, ${how}`;
  }
  const back =
    pathKey(result.reply) === pathKey(result.sent) ? '' : `; the reply came ${describePath(result.reply)}`;
  return `reply from ${who}: seq=${seq} time=${formatMs(result.rttMs)}, ${describePath(result.sent)}${back}`;
}

/** A note when the engine's path differs from the previous ping's, else undefined. */
export function pathChange(previous: PingResult | undefined, now: PingResult): string | undefined {
  if (!previous || pathKey(previous.sent) === pathKey(now.sent)) return undefined;
  return `  path changed: now ${describePath(now.sent)} (was ${describePath(previous.sent)})`;
}

export function pingSummary(target: string, results: readonly PingResult[]): string {
  const times = results.flatMap((r) => (r.rttMs === null ? [] : [r.rttMs])).sort((a, b) => a - b);
  const lost =
    results.length === 0 ? 0 : Math.round((100 * (results.length - times.length)) / results.length);
  const head = `--- ${target}: ${plural(results.length, 'ping', 'pings')} sent, ${plural(times.length, 'reply', 'replies')}, ${lost}% lost`;
  if (times.length === 0) return head;
  const median = times[Math.floor((times.length - 1) / 2)]!;
  const figures = [times[0]!, median, times.at(-1)!].map((t) => formatMs(t).replace(/ ms$/, ''));
  return `${head}; rtt min/median/max ${figures.join('/')} ms`;
}

function baseLines(check: BaseCheck): string[] {
  const tcp =
    check.tcp.latencyMs === null
      ? `unreachable: ${check.tcp.error}`
      : `reachable, ${formatMs(check.tcp.latencyMs)}`;
  const at = check.udp.endpoint ? ` at ${check.udp.endpoint}` : '';
  const udp =
    check.udp.latencyMs === null
      ? `unreachable${at}: ${check.udp.error}`
      : `reachable${at}, ${formatMs(check.udp.latencyMs)}; sees this machine as ${check.udp.observed}`;
  return [`base ${check.server}`, `  TCP  ${tcp}`, `  UDP  ${udp}`];
}

export function formatNetcheck(report: NetcheckReport): string {
  const { mapping, lan } = report;
  const lines = [
    `netcheck at ${report.at}${report.connection === 'down' ? ' (hnet is down; the check ran anyway)' : ''}`,
    ...(report.bases.length === 0 ? ['base servers: none configured'] : report.bases.flatMap(baseLines)),
    `NAT mapping: ${mapping.behaviour} — ${mapping.reason}`,
    ...mapping.observed.map((o) => `  ${o.destination} saw ${o.endpoint}`),
    `LAN beacons: ${lan.reason}`,
    ...lan.heard.map(
      (h) =>
        `  ${shortAddress(h.address)} at ${h.endpoint}, ${h.secondsAgo === 0 ? 'just now' : `${h.secondsAgo} s ago`}`,
    ),
    `port mapping: ${describePortMappingStatus(report.portMapping, Date.parse(report.at))}`,
  ];
  return lines.join('\n');
}
