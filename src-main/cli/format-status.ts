// How `hnet status` shows the engine to a person. Scripts use `--json` instead, which is the
// Status type unchanged.
import type { HostEntry } from '../engine/host-table.js';
import type { BaseStatus, DataLaneStatus, NetworkStatus, PeerStatus, Status } from '../engine/status.js';
import type { WhitelistState } from '../engine/whitelist.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatAge(iso: string | null, now: number = Date.now()): string {
  if (iso === null) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

export function formatBase(base: BaseStatus): string {
  if (base.state === 'connected')
    return `connected over ${base.transport?.toUpperCase() ?? '?'} to ${base.server ?? '?'}${base.reason ? ` (${base.reason})` : ''}`;
  return `${base.state}${base.server ? ` (${base.server})` : ''}: ${base.reason}`;
}

export function formatWhitelist(whitelist: WhitelistState, hosts: readonly HostEntry[]): string[] {
  const named = new Map(hosts.map((h) => [h.address, h.hostname]));
  const count = whitelist.addresses.length;
  const head = !whitelist.enabled
    ? 'whitelist off: any device may connect'
    : count === 0
      ? 'whitelist on and empty: no device may connect yet (add one with "hnet whitelist add <address>")'
      : `whitelist on: only ${count === 1 ? 'this address' : `these ${count} addresses`} may connect`;
  return [head, ...whitelist.addresses.map((a) => `  ${a}${named.has(a) ? `  ${named.get(a)}` : ''}`)];
}

export function formatHosts(hosts: readonly HostEntry[]): string[] {
  if (hosts.length === 0) return ['no hosts in the host table'];
  const width = Math.max(...hosts.map((h) => h.hostname.length));
  return hosts.map((h) => `${h.hostname.padEnd(width)}  ${h.address}`);
}

function formatPeer(peer: PeerStatus, now: number): string {
  const path = peer.path === 'direct' && peer.endpoint ? `direct ${peer.endpoint}` : peer.path;
  const parts = [
    `  ${peer.address}${peer.hostname ? ` (${peer.hostname})` : ''}`,
    `    path ${path}${peer.reason ? ` — ${peer.reason}` : ''}`,
    `    rtt ${peer.rttMs === null ? '-' : `${peer.rttMs} ms`}, sent ${formatBytes(peer.bytesSent)}, ` +
      `received ${formatBytes(peer.bytesReceived)}, handshake ${formatAge(peer.lastHandshake, now)}`,
  ];
  return parts.join('\n');
}

function formatNetwork(network: NetworkStatus): string {
  const where = network.server ? ` (server ${network.server})` : '';
  if (network.state === 'joining')
    return `joining through websetup ${network.websetup}${where} as ${network.hostname}: waiting for its answer`;
  return `joined through websetup ${network.websetup}${where} as ${network.hostname}`;
}

const hostsFileState: Record<Status['hostsFile']['state'], string> = {
  pending: 'not written yet',
  synced: 'up to date',
  failed: 'not updated',
};

function formatDataLane(lane: DataLaneStatus): string {
  if (lane.state === 'off') return `data lane off: ${lane.reason}`;
  return `data lane on: ${lane.packets} packets carried natively`;
}

export function formatStatus(status: Status, now: number = Date.now()): string {
  const lines = [
    `address    ${status.address}`,
    `hostname   ${status.hostname}`,
    `base       ${formatBase(status.base)}`,
    `network    ${status.networks.map(formatNetwork).join('; ') || 'none (join one with "hnet join <code>")'}`,
    `/etc/hosts ${hostsFileState[status.hostsFile.state]}: ${status.hostsFile.reason}`,
    ...(status.dataLane ? [formatDataLane(status.dataLane)] : []),
    ...formatWhitelist(status.whitelist, status.hosts),
    status.peers.length === 0 ? 'no peers yet' : `peers (${status.peers.length})`,
    ...status.peers.map((p) => formatPeer(p, now)),
  ];
  return lines.join('\n');
}
