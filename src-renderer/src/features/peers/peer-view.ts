// How a peer reads in the table: whether it answers (its state, from the engine's `reach`), how its
// traffic goes, and the table's filter and sort. A peer that does not answer never shows a path as
// if it worked: the path says where the packets went unanswered. Pure, so it is unit-tested.
import { pathKind, type PathKind } from '../../../../src-main/contract/peer-paths.js';
import { peerReaches } from '../../../../src-main/contract/peer-states.js';
import type { PathState, PeerReach, PeerStatus } from '../../../../src-main/contract/status.js';

const labelOf: Record<PathState, string> = {
  direct: 'Direct',
  tunnelled: 'Tunnelled',
  probing: 'Tunnelled, trying direct',
  degraded: 'Tunnelled, direct path lost',
  resolving: 'Looking up',
  idle: 'Idle',
};

export const reachLabels: Record<PeerReach, string> = {
  online: 'Online',
  idle: 'Idle',
  unreachable: 'Unreachable',
  offline: 'Offline',
};

export type { PathKind };

export interface PathView {
  kind: PathKind;
  label: string;
  /**
   * The endpoint for a direct path, the base server for a tunnelled one; for a peer that does not
   * answer, where the unanswered packets went.
   */
  via: string | null;
}

export function describePath(peer: PeerStatus, baseServer: string | null): PathView {
  const kind = pathKind(peer.path);
  const base = baseServer ? `base ${baseServer}` : 'the base';
  const via = kind === 'direct' ? peer.endpoint : kind === 'tunnelled' ? base : null;
  switch (peer.reach) {
    case 'online':
    case 'idle':
      return { kind, label: labelOf[peer.path], via };
    case 'unreachable':
      return {
        kind,
        label: 'No answer',
        via: via && `sent ${kind === 'direct' ? 'to' : 'via'} ${via}`,
      };
    case 'offline':
      return { kind, label: 'No session', via: null };
  }
}

export const sortKeys = [
  'hostname',
  'address',
  'state',
  'path',
  'rtt',
  'sent',
  'received',
  'lastHeard',
] as const;
export type SortKey = (typeof sortKeys)[number];
export interface PeerQuery {
  text: string;
  state: PeerReach | 'all';
  sort: SortKey;
  descending: boolean;
}

/** Larger for older: sorting by it puts the most recently heard first. */
const silence = (peer: PeerStatus): number | null =>
  peer.lastHeard === null ? null : -Date.parse(peer.lastHeard);

const compareNullable = (a: number | null, b: number | null): number =>
  a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b;

const comparators: Record<SortKey, (a: PeerStatus, b: PeerStatus) => number> = {
  hostname: (a, b) => (a.hostname ?? '\uffff').localeCompare(b.hostname ?? '\uffff'),
  address: (a, b) => a.address.localeCompare(b.address),
  state: (a, b) => peerReaches.indexOf(a.reach) - peerReaches.indexOf(b.reach),
  path: (a, b) => pathKind(a.path).localeCompare(pathKind(b.path)),
  rtt: (a, b) => compareNullable(a.rttMs, b.rttMs),
  sent: (a, b) => a.bytesSent - b.bytesSent,
  received: (a, b) => a.bytesReceived - b.bytesReceived,
  lastHeard: (a, b) => compareNullable(silence(a), silence(b)),
};

export function selectPeers(peers: readonly PeerStatus[], query: PeerQuery): PeerStatus[] {
  const needle = query.text.trim().toLowerCase();
  const shown = peers.filter(
    (p) =>
      (query.state === 'all' || p.reach === query.state) &&
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
