// For tests of the license fetch: a server on a port that fetch() refuses ("bad port").
import type { Server } from 'node:net';

/** Ports above 1023 that fetch() refuses as "bad ports" (the Fetch standard's list). */
export const FETCH_BAD_PORTS = [10080, 6000, 6665, 6666, 6667, 6668, 6669, 6697, 5060, 4190, 2049];

/** Makes `server` listen on the first of FETCH_BAD_PORTS free on 127.0.0.1; resolves with it. */
export async function listenOnBadPort(server: Server): Promise<number> {
  for (const port of FETCH_BAD_PORTS) {
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return port;
  }
  throw new Error(`none of ${FETCH_BAD_PORTS.join(', ')} is free`);
}
