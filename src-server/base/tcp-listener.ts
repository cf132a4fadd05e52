// The base's TCP side: admit or refuse each connection (a total cap, a cap per source, and fair
// eviction when full: connection-slots.ts), split the byte stream into frames, and hand each on.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../src-protocol/base-messages.js';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import type { AcceptLog } from '../../src-shared/accept-errors.js';
import {
  ConnectionSlots,
  sourceOf,
  type PickVictim,
  type Refusal,
  type SlotLimits,
} from '../connection-slots.js';
import { keepListening } from '../keep-listening.js';
import { boundEndpoint } from './bound-address.js';
import type { ClientConnection } from './connection.js';

export interface TcpConnectionHandler {
  /** A new socket that was given a slot: its connection. */
  open(socket: Socket): ClientConnection;
  /** One frame payload. It is a view into received bytes the handler may rewrite in place. */
  message(connection: ClientConnection, payload: Uint8Array, now: number): void;
  close(connection: ClientConnection): void;
}

export interface TcpAdmission {
  limits: SlotLimits;
  /** A connection closed on arrival, for the metrics. */
  refused(reason: Refusal): void;
  log: AcceptLog;
}

/**
 * Which connection a source can best do without: one still proving who it is (a stock client
 * answers HELLO at once, so a pending one is cheap to lose and quick to redo), the oldest first;
 * only when `any` will do, an authenticated one, the longest silent first.
 */
function expendable(connections: ReadonlyMap<Socket, ClientConnection>): PickVictim<Socket> {
  const proven = (c: ClientConnection): boolean => c.device !== undefined || c.clusterBase !== undefined;
  const rank = (c: ClientConnection): [number, number] => (proven(c) ? [1, c.lastHeardAt] : [0, c.openedAt]);
  return (sockets, need) => {
    let victim: Socket | undefined;
    let best: [number, number] = [Infinity, Infinity];
    for (const socket of sockets) {
      const connection = connections.get(socket);
      if (!connection || (need === 'spare' && proven(connection))) continue;
      const [kind, time] = rank(connection);
      if (kind < best[0] || (kind === best[0] && time < best[1])) [victim, best] = [socket, [kind, time]];
    }
    return victim;
  };
}

export class TcpListener {
  private readonly connections = new Map<Socket, ClientConnection>();
  private readonly slots: ConnectionSlots<Socket>;
  private readonly servers: Server[] = [];
  private readonly bound: Endpoint[] = [];
  private readonly stopRetries: (() => void)[] = [];

  private constructor(
    private readonly handler: TcpConnectionHandler,
    private readonly admission: TcpAdmission,
  ) {
    this.slots = new ConnectionSlots(admission.limits, expendable(this.connections));
  }

  static async listen(
    addresses: readonly Endpoint[],
    handler: TcpConnectionHandler,
    admission: TcpAdmission,
  ): Promise<TcpListener> {
    const listener = new TcpListener(handler, admission);
    try {
      for (const address of addresses) await listener.listenOn(address);
    } catch (error) {
      listener.close();
      throw error;
    }
    return listener;
  }

  private async listenOn(address: Endpoint): Promise<void> {
    const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }, (socket) =>
      this.serve(socket),
    );
    this.servers.push(server);
    server.listen({ port: address.port, host: address.ip, backlog: 4096 });
    await once(server, 'listening').catch((error: Error) => {
      throw new Error(`Cannot listen on TCP ${address.ip}:${address.port}: ${error.message}`);
    });
    const bound = boundEndpoint(server.address());
    this.bound.push(bound);
    this.stopRetries.push(
      keepListening(server, {
        log: this.admission.log,
        name: 'base-tcp',
        host: bound.ip,
        port: bound.port,
        shed: () => this.shed(),
      }),
    );
  }

  /** As bound at start, also while a port is closed after running out of file descriptors. */
  get addresses(): Endpoint[] {
    return [...this.bound];
  }

  /** Stops accepting; open connections are the handler's to end. */
  close(): void {
    for (const stop of this.stopRetries) stop();
    for (const server of this.servers) server.close();
  }

  private shed(): boolean {
    const victim = this.slots.leastNeeded();
    if (!victim) return false;
    this.evict(victim);
    return true;
  }

  private evict(socket: Socket): void {
    this.slots.release(socket);
    this.connections.get(socket)?.close('evicted');
  }

  private serve(socket: Socket): void {
    // Errors (resets, timeouts) are followed by 'close', where the connection is cleaned up.
    socket.on('error', () => {});
    const admitted = this.slots.admit(sourceOf(socket.remoteAddress), socket);
    if (!admitted.ok) {
      this.admission.refused(admitted.reason);
      socket.destroy();
      return;
    }
    if (admitted.evicted) this.evict(admitted.evicted);
    const { handler } = this;
    const connection = handler.open(socket);
    this.connections.set(socket, connection);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      const now = Date.now();
      const { frames, error } = decoder.push(chunk);
      for (const frame of frames) {
        handler.message(connection, frame, now);
        if (socket.destroyed) return;
      }
      if (error) connection.close('malformed_frame');
    });
    socket.on('close', () => {
      this.slots.release(socket);
      this.connections.delete(socket);
      handler.close(connection);
    });
  }
}
