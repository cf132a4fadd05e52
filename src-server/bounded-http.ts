// What every HTTP port of the server stack needs against strangers: connection caps (in total and
// per source, with fair eviction: connection-slots.ts), timeouts that give a slot back when nothing
// useful happens on it, and a port that survives running out of file descriptors.
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AcceptLog } from '../src-shared/accept-errors.js';
import {
  ConnectionSlots,
  refusalReporter,
  sourceOf,
  type PickVictim,
  type SlotLimits,
} from './connection-slots.js';
import { keepListening } from './keep-listening.js';

export interface HttpTimeouts {
  /** From connecting to the end of the request headers (a silent connection included). */
  headersMs: number;
  /** From connecting to the end of the whole request. */
  requestMs: number;
  /** Nothing moving either way: a response not being read, a request body trickling. */
  idleMs: number;
  /** Between requests on a kept-alive connection. */
  keepAliveMs: number;
}

export interface HttpBounds {
  /** Names the port in log lines: `dashboard`, `base-metrics`. */
  name: string;
  log: AcceptLog;
  limits: SlotLimits;
  timeouts: HttpTimeouts;
}

export interface BoundedHttp {
  /** Stops listening again after a failure; call when closing the server. */
  stop(): void;
}

/**
 * For `createServer`: Node checks requests against headersMs and requestMs every 30 s unless told
 * otherwise when the server is created, so a 10 s limit could run to 40.
 */
export const BOUNDED_SERVER_OPTIONS: ServerOptions = { connectionsCheckingInterval: 1_000 };

interface Activity {
  /** Requests on this connection not yet answered. */
  busy: number;
  /** When the connection opened or last finished a response. */
  since: number;
}

/**
 * A connection between requests can be spared: a browser opens another when it needs one. A
 * request being answered is given up only when `any` will do, and only after every idle one.
 */
function leastBusy(activity: ReadonlyMap<Socket, Activity>): PickVictim<Socket> {
  return (sockets, need) => {
    let victim: Socket | undefined;
    let best: Activity | undefined;
    for (const socket of sockets) {
      const state = activity.get(socket);
      if (!state || (need === 'spare' && state.busy > 0)) continue;
      const idle = state.busy === 0;
      const bestIdle = best?.busy === 0;
      if (!best || (idle && !bestIdle) || (idle === bestIdle && state.since < best.since)) {
        victim = socket;
        best = state;
      }
    }
    return victim;
  };
}

/** Call before `listen`, on a server created with BOUNDED_SERVER_OPTIONS. */
export function boundHttpServer(server: Server, bounds: HttpBounds): BoundedHttp {
  const { log, name, timeouts } = bounds;
  const activity = new Map<Socket, Activity>();
  const slots = new ConnectionSlots(bounds.limits, leastBusy(activity));
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  server.timeout = timeouts.idleMs;
  // A malformed or too slow request, or a client gone. Node's own handling leaves a connection that
  // never sent a byte open past headersMs: close it, so its slot comes back.
  server.on('clientError', (_error: Error, socket: Duplex) => socket.destroy());

  const reportRefusal = refusalReporter(log, name, bounds.limits);

  // Node's own 'connection' handler has set the socket up for HTTP by now; a refused one is
  // closed before it is read.
  server.on('connection', (socket: Socket) => {
    const admitted = slots.admit(sourceOf(socket.remoteAddress), socket);
    if (!admitted.ok) {
      socket.destroy();
      return reportRefusal(admitted.reason);
    }
    admitted.evicted?.destroy();
    activity.set(socket, { busy: 0, since: Date.now() });
    socket.once('close', () => {
      slots.release(socket);
      activity.delete(socket);
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = activity.get(request.socket as Socket);
    if (!state) return;
    state.busy++;
    response.once('close', () => {
      state.busy--;
      state.since = Date.now();
    });
  });

  let stopRetries = (): void => undefined;
  server.once('listening', () => {
    const address = server.address();
    if (!address || typeof address === 'string') return;
    stopRetries = keepListening(server, {
      log,
      name,
      host: address.address,
      port: address.port,
      shed: () => {
        const victim = slots.leastNeeded();
        if (!victim) return false;
        slots.release(victim);
        victim.destroy();
        return true;
      },
    });
  });

  return { stop: () => stopRetries() };
}
