// How a peer's path reads in the table, and the table's filter and sort. Pure, so it is unit-tested.
import { pathKind, type PathKind } from '../../../../src-main/electron/peer-paths.js';
import type { PathState, PeerStatus } from '../../../../src-main/engine/status.js';

const labelOf: Record<PathState, string> = {
  direct: 'Direct',
  tunnelled: 'Tunnelled',
  probing: 'Tunnelled, trying direct',
  degraded: 'Tunnelled, direct path lost',
  resolving: 'Looking up',
  idle: 'Idle',
};

export type { PathKind };

export interface PathView {
  kind: PathKind;
  label: string;
  /** The endpoint for a direct path, the base server for a tunnelled one. */
  via: string | null;
}

export function describePath(peer: PeerStatus, baseServer: string | null): PathView {
  const kind = pathKind(peer.path);
  const via =
    kind === 'direct'
      ? peer.endpoint
      : kind === 'tunnelled'
        ? baseServer
          ? `base ${baseServer}`
          : 'base'
        : null;
  return { kind, label: labelOf[peer.path], via };
}

export const sortKeys = ['hostname', 'address', 'path', 'rtt', 'sent', 'received', 'lastSeen'] as const;
export type SortKey = (typeof sortKeys)[number];
export interface PeerQuery {
  text: string;
  kind: PathKind | 'all';
  sort: SortKey;
  descending: boolean;
}

const seenAt = (peer: PeerStatus): number | null =>
  peer.lastHandshake === null ? null : Date.parse(peer.lastHandshake);

const compareNullable = (a: number | null, b: number | null): number =>
  a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b;

const comparators: Record<SortKey, (a: PeerStatus, b: PeerStatus) => number> = {
  hostname: (a, b) => (a.hostname ?? '\uffff').localeCompare(b.hostname ?? '\uffff'),
  address: (a, b) => a.address.localeCompare(b.address),
  path: (a, b) => pathKind(a.path).localeCompare(pathKind(b.path)),
  rtt: (a, b) => compareNullable(a.rttMs, b.rttMs),
  sent: (a, b) => a.bytesSent - b.bytesSent,
  received: (a, b) => a.bytesReceived - b.bytesReceived,
  lastSeen: (a, b) => compareNullable(seenAt(a), seenAt(b)),
};

export function selectPeers(peers: readonly PeerStatus[], query: PeerQuery): PeerStatus[] {
  const needle = query.text.trim().toLowerCase();
  const shown = peers.filter(
    (p) =>
      (query.kind === 'all' || pathKind(p.path) === query.kind) &&
      (needle === '' ||
        (p.hostname ?? '').toLowerCase().includes(needle) ||
        p.address.includes(needle) ||
        (p.endpoint ?? '').includes(needle) ||
        p.reason.toLowerCase().includes(needle)),
  );
  const compare = comparators[query.sort];
  // Ties keep a stable order by address, so rows do not jump on every refresh.
  return shown.sort(
    (a, b) => (query.descending ? -1 : 1) * compare(a, b) || a.address.localeCompare(b.address),
  );
}
