// How `hnet status` shows the engine to a person. Scripts use `--json` instead, which is the
// Status type unchanged, with every address in full.
import type { HostEntry, WhitelistState } from '../contract/names.js';
import type {
  BaseStatus,
  DataLaneStatus,
  NetworkStatus,
  PeerReach,
  PeerStatus,
  Status,
} from '../contract/status.js';
import { describeBaseReading } from '../contract/base-readings.js';
import { describeOffloads } from '../contract/offloads.js';
import { describePortMappingStatus } from '../contract/port-mapping.js';
import { formatAge, formatBytes, formatMs, shortAddress, table } from './text.js';

export function formatBase(base: BaseStatus): string {
  if (base.state === 'connected')
    return `connected over ${base.transport?.toUpperCase() ?? '?'} to ${base.server ?? '?'}${base.reason ? ` (${base.reason})` : ''}`;
  return `${base.state}${base.server ? ` (${base.server})` : ''}: ${base.reason}`;
}

/** Every listed base as last measured, nearest first: `a:443 12.3 ms (in use), b:443 unreachable (…)`. */
export function formatBaseServers(base: BaseStatus, now: number = Date.now()): string | undefined {
  if (!base.servers?.length) return undefined;
  return base.servers.map((reading) => describeBaseReading(reading, now)).join('; ');
}

export function formatWhitelist(whitelist: WhitelistState, hosts: readonly HostEntry[]): string[] {
  const named = new Map(hosts.map((h) => [h.address, h.hostname]));
  return [
    whitelistHead(whitelist),
    ...table(
      whitelist.addresses.map((a) => [shortAddress(a), named.get(a) ?? '']),
      '  ',
    ),
  ];
}

function whitelistHead(whitelist: WhitelistState): string {
  const count = whitelist.addresses.length;
  if (!whitelist.enabled) return 'whitelist off: any device may connect';
  if (count === 0)
    return 'whitelist on and empty: no device may connect yet (add one with "hnet whitelist add <address>")';
  return `whitelist on: only ${count === 1 ? 'this address' : `these ${count} addresses`} may connect`;
}

export function formatHosts(hosts: readonly HostEntry[]): string[] {
  if (hosts.length === 0) return ['no hosts in the host table'];
  return table(hosts.map((h) => [h.hostname, shortAddress(h.address)]));
}

/** A peer by name if it has one, else by its short address. */
export const peerName = (peer: { address: string; hostname: string | null }): string =>
  peer.hostname ?? shortAddress(peer.address);

/** Where a peer's traffic goes, in a few words: `direct 1.2.3.4:5582`, `via the base (UDP)`. */
export function formatPath(peer: PeerStatus, base: BaseStatus): string {
  const relay = base.transport ? `via the base (${base.transport.toUpperCase()})` : 'via the base';
  switch (peer.path) {
    case 'direct':
      return peer.endpoint ? `direct ${peer.endpoint}` : 'direct';
    case 'tunnelled':
      return relay;
    case 'probing':
      return `${relay}, probing`;
    case 'degraded':
      return `${relay}, direct path lost`;
    case 'resolving':
      return 'asking the base';
    case 'idle':
      return 'idle';
  }
}

const reachOrder: PeerReach[] = ['online', 'idle', 'unreachable', 'offline'];

/** "3: 2 online, 1 unreachable": every peer, counted by whether it answers. */
export function peerCounts(peers: readonly PeerStatus[]): string {
  if (peers.length === 0) return 'none yet';
  const counts = reachOrder
    .map((reach) => [reach, peers.filter((p) => p.reach === reach).length] as const)
    .filter(([, n]) => n > 0)
    .map(([reach, n]) => `${n} ${reach}`);
  return `${peers.length}: ${counts.join(', ')}`;
}

/** One row per peer and, under it, why its path is what it is. */
export function formatPeers(status: Status, now: number): string[] {
  if (status.peers.length === 0) return [];
  const header = ['NAME', 'ADDRESS', 'STATE', 'PATH', 'RTT', 'HEARD', 'SENT/RECEIVED'];
  const rows = status.peers.map((peer) => [
    peer.hostname ?? '-',
    shortAddress(peer.address),
    peer.reach,
    formatPath(peer, status.base),
    peer.rttMs === null ? '-' : formatMs(peer.rttMs),
    formatAge(peer.lastHeard, now),
    `${formatBytes(peer.bytesSent)}/${formatBytes(peer.bytesReceived)}`,
  ]);
  const [head, ...lines] = table([header, ...rows], '  ');
  const reasonIndent = ' '.repeat(4);
  return [
    head!,
    ...lines.flatMap((line, i) => {
      const reason = status.peers[i]!.reason;
      return reason ? [line, `${reasonIndent}${reason}`] : [line];
    }),
  ];
}

function formatNetwork(network: NetworkStatus): string {
  const where = network.server ? ` (server ${network.server})` : '';
  const websetup = shortAddress(network.websetup);
  if (network.state === 'joining')
    return `joining through websetup ${websetup}${where} as ${network.hostname}: waiting for its answer`;
  if (network.state === 'refused')
    return `join refused by websetup ${websetup}${where}: ${network.refusal ?? 'no reason given'}; not asking again (join with a new code)`;
  const names = (network.names ?? []).map((name) => `"${name}"`).join(', ');
  return `joined ${names ? `${names} ` : ''}through websetup ${websetup}${where} as ${network.hostname}; websetup ${network.reach}`;
}

const hostsFileState: Record<Status['hostsFile']['state'], string> = {
  pending: 'not written yet',
  synced: 'up to date',
  failed: 'not updated',
};

function formatDataLane(lane: DataLaneStatus): string[] {
  const offloads = lane.offloads ? [`offloads   ${describeOffloads(lane.offloads)}`] : [];
  if (lane.state === 'off') return [`data lane off: ${lane.reason}`, ...offloads];
  return [`data lane on: ${lane.packets} packets carried natively`, ...offloads];
}

export function formatConnection(status: Status): string {
  return status.connection === 'up' ? 'up' : 'down: no traffic, no base, no LAN beacons until "hnet up"';
}

export function formatStatus(status: Status, now: number = Date.now()): string {
  const lines = [
    `hnet       ${formatConnection(status)}`,
    `address    ${shortAddress(status.address)}`,
    `hostname   ${status.hostname}`,
    `base       ${formatBase(status.base)}`,
    ...[formatBaseServers(status.base, now)].flatMap((line) => (line ? [`bases      ${line}`] : [])),
    `network    ${status.networks.map(formatNetwork).join('; ') || 'none (join one with "hnet join <code>")'}`,
    `/etc/hosts ${hostsFileState[status.hostsFile.state]}: ${status.hostsFile.reason}`,
    ...(status.dataLane ? formatDataLane(status.dataLane) : []),
    ...(status.portMapping ? [`port map   ${describePortMappingStatus(status.portMapping, now)}`] : []),
    `${whitelistHead(status.whitelist)}${status.whitelist.addresses.length > 0 ? ' ("hnet whitelist ls" lists them)' : ''}`,
    `peers      ${peerCounts(status.peers)}`,
    ...formatPeers(status, now),
  ];
  return lines.join('\n');
}
