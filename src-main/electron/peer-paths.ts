// Direct or tunnelled: how the tray and the window both count and name a peer's path. Pure (no
// Node, no Electron) so the renderer bundles it too.
import type { PathState, PeerStatus } from '../engine/status.js';

export type PathKind = 'direct' | 'tunnelled' | 'idle';

const kindOf: Record<PathState, PathKind> = {
  direct: 'direct',
  // While a direct path is probed, or after it failed, traffic flows through the base.
  tunnelled: 'tunnelled',
  probing: 'tunnelled',
  degraded: 'tunnelled',
  resolving: 'tunnelled',
  idle: 'idle',
};

export const pathKind = (path: PathState): PathKind => kindOf[path];

export function countPaths(peers: readonly Pick<PeerStatus, 'path'>[]): Record<PathKind, number> {
  const counts: Record<PathKind, number> = { direct: 0, tunnelled: 0, idle: 0 };
  for (const peer of peers) counts[kindOf[peer.path]]++;
  return counts;
}

/** "3 peers: 2 direct, 1 tunnelled" (the tray's summary line). */
export function peerSummary(peers: readonly Pick<PeerStatus, 'path'>[]): string {
  const counts = countPaths(peers);
  const noun = peers.length === 1 ? 'peer' : 'peers';
  return `${peers.length} ${noun}: ${counts.direct} direct, ${counts.tunnelled} tunnelled`;
}
