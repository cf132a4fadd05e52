// Direct or tunnelled: how the tray and the window both name a peer's path. Pure (no Node, no
// Electron) so the renderer bundles it too.
import type { PathState } from './status.js';

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
