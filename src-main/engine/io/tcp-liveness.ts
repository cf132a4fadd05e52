// The base connection's TCP socket, watched by the kernel: it ends the connection within seconds
// once the base stops acknowledging anything, idle or not (src-main/native/src/tcp-liveness.cc),
// so a blackholed base costs no polling and no message the base must verify. Without the addon
// (or off Linux) the caller watches by other means.
import type { Socket } from 'node:net';
import { loadDataPlane } from '../../native/dataplane-addon.js';

export interface TcpLiveness {
  /** Seconds of idleness before the first keepalive probe, and between probes. */
  idleSeconds: number;
  intervalSeconds: number;
  /** Unanswered probes that end the connection. */
  probes: number;
  /** Sent data unacknowledged this long ends it too. */
  unackedMs: number;
}

/** The fd under a connected net.Socket: libuv's handle holds it (Node has no public accessor). */
function fdOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Asks the kernel to watch a connected socket; false when it cannot, and nothing changed then. */
export function watchTcpLiveness(socket: Socket, liveness: TcpLiveness): boolean {
  const fd = fdOf(socket);
  if (fd === undefined) return false;
  try {
    const { idleSeconds, intervalSeconds, probes, unackedMs } = liveness;
    return loadDataPlane().watchTcpLiveness(fd, idleSeconds, intervalSeconds, probes, unackedMs);
  } catch {
    return false;
  }
}
