// Which peers came or went between two status updates, for notifications. A peer "connects" when it
// answers again (online after being unreachable, offline or unknown) and "drops" when it stops
// answering (unreachable or offline) or vanishes. Going idle is neither: the session is kept.
import type { PeerStatus, Status } from '../contract/status.js';
import { pathKind } from '../contract/peer-paths.js';

export interface PeerChange {
  peer: PeerStatus;
  change: 'connected' | 'dropped';
}

const answers = (peer: PeerStatus | undefined): boolean =>
  peer !== undefined && (peer.reach === 'online' || peer.reach === 'idle');

export function peerChanges(before: Status | undefined, after: Status): PeerChange[] {
  // The first status is the present, not news.
  if (!before) return [];
  const old = new Map(before.peers.map((p) => [p.address, p]));
  const now = new Map(after.peers.map((p) => [p.address, p]));
  const changes: PeerChange[] = [];
  for (const peer of after.peers)
    if (peer.reach === 'online' && !answers(old.get(peer.address)))
      changes.push({ peer, change: 'connected' });
  for (const peer of before.peers)
    if (answers(peer) && !answers(now.get(peer.address)))
      changes.push({ peer: now.get(peer.address) ?? peer, change: 'dropped' });
  return changes;
}

export function describeChange({ peer, change }: PeerChange): { title: string; body: string } {
  const name = peer.hostname ?? peer.address;
  if (change === 'dropped')
    return {
      title: `${name} ${peer.reach === 'unreachable' ? 'stopped answering' : 'disconnected'}`,
      body: peer.reason,
    };
  const how =
    pathKind(peer.path) === 'direct'
      ? `directly${peer.endpoint ? ` via ${peer.endpoint}` : ''}`
      : 'through the base server';
  return { title: `${name} connected`, body: `${how}. ${peer.reason}` };
}
