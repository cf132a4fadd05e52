// Which peers came or went between two status updates, for notifications. A peer "connects" when
// traffic can flow to it (direct or through the base) and "drops" when it goes idle or vanishes.
import type { PeerStatus, Status } from '../engine/status.js';
import { pathKind } from './peer-paths.js';

export interface PeerChange {
  peer: PeerStatus;
  change: 'connected' | 'dropped';
}

const active = (peer: PeerStatus | undefined): boolean =>
  peer !== undefined && pathKind(peer.path) !== 'idle';

export function peerChanges(before: Status | undefined, after: Status): PeerChange[] {
  // The first status is the present, not news.
  if (!before) return [];
  const old = new Map(before.peers.map((p) => [p.address, p]));
  const now = new Map(after.peers.map((p) => [p.address, p]));
  const changes: PeerChange[] = [];
  for (const peer of after.peers)
    if (active(peer) && !active(old.get(peer.address))) changes.push({ peer, change: 'connected' });
  for (const peer of before.peers)
    if (active(peer) && !active(now.get(peer.address)))
      changes.push({ peer: now.get(peer.address) ?? peer, change: 'dropped' });
  return changes;
}

export function describeChange({ peer, change }: PeerChange): { title: string; body: string } {
  const name = peer.hostname ?? peer.address;
  if (change === 'dropped') return { title: `${name} disconnected`, body: peer.reason };
  const how =
    pathKind(peer.path) === 'direct'
      ? `directly${peer.endpoint ? ` via ${peer.endpoint}` : ''}`
      : 'through the base server';
  return { title: `${name} connected`, body: `${how}. ${peer.reason}` };
}
