// Whether each peer answers, counted the same way in the tray and the window: every peer falls in
// exactly one state (the engine's `reach`), and the online ones are split by path. Pure (no Node,
// no Electron) so the renderer bundles it too.
import type { PeerReach, PeerStatus } from './status.js';
import { pathKind } from './peer-paths.js';

export const peerReaches: readonly PeerReach[] = ['online', 'idle', 'unreachable', 'offline'];

export interface PeerCounts extends Record<PeerReach, number> {
  total: number;
  /** Online peers by the path their traffic takes. */
  direct: number;
  tunnelled: number;
}

type Counted = Pick<PeerStatus, 'reach' | 'path'>;

export function countPeers(peers: readonly Counted[]): PeerCounts {
  const counts: PeerCounts = {
    total: peers.length,
    online: 0,
    idle: 0,
    unreachable: 0,
    offline: 0,
    direct: 0,
    tunnelled: 0,
  };
  for (const peer of peers) {
    counts[peer.reach]++;
    if (peer.reach !== 'online') continue;
    // An online peer whose path is idle has just been heard from: it answers, over no path yet.
    const kind = pathKind(peer.path);
    if (kind !== 'idle') counts[kind]++;
  }
  return counts;
}

/** "4 peers: 2 online (1 direct, 1 tunnelled), 1 idle, 1 unreachable": every peer, once. */
export function peerSummary(peers: readonly Counted[]): string {
  const counts = countPeers(peers);
  if (counts.total === 0) return 'No peers';
  const parts = peerReaches
    .filter((reach) => counts[reach] > 0)
    .map((reach) => {
      if (reach !== 'online') return `${counts[reach]} ${reach}`;
      const paths = [
        ...(counts.direct > 0 ? [`${counts.direct} direct`] : []),
        ...(counts.tunnelled > 0 ? [`${counts.tunnelled} tunnelled`] : []),
      ];
      return `${counts.online} online${paths.length > 0 ? ` (${paths.join(', ')})` : ''}`;
    });
  return `${counts.total} ${counts.total === 1 ? 'peer' : 'peers'}: ${parts.join(', ')}`;
}
