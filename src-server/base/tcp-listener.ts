// The base's TCP side: accept, split the byte stream into frames, and hand each frame on.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../src-protocol/base-messages.js';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import { boundEndpoint } from './bound-address.js';
import type { ClientConnection } from './connection.js';

export interface TcpConnectionHandler {
  /** A new socket; returns its connection, or undefined after refusing it. */
  open(socket: Socket): ClientConnection | undefined;
  /** One frame payload. It is a view into received bytes the handler may rewrite in place. */
  message(connection: ClientConnection, payload: Uint8Array, now: number): void;
  close(connection: ClientConnection): void;
}

export class TcpListener {
  private constructor(private readonly servers: Server[]) {}

  static async listen(addresses: readonly Endpoint[], handler: TcpConnectionHandler): Promise<TcpListener> {
    const servers: Server[] = [];
    try {
      for (const address of addresses) {
        const server = createServer(
          { noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 },
          (socket) => serve(socket, handler),
        );
        servers.push(server);
        server.listen({ port: address.port, host: address.ip, backlog: 4096 });
        await once(server, 'listening').catch((error: Error) => {
          throw new Error(`Cannot listen on TCP ${address.ip}:${address.port}: ${error.message}`);
        });
      }
    } catch (error) {
      for (const server of servers) server.close();
      throw error;
    }
    return new TcpListener(servers);
  }

  get addresses(): Endpoint[] {
    return this.servers.map((server) => boundEndpoint(server.address()));
  }

  /** Stops accepting; open connections are the handler's to end. */
  close(): void {
    for (const server of this.servers) server.close();
  }
}

function serve(socket: Socket, handler: TcpConnectionHandler): void {
  // Errors (resets, timeouts) are followed by 'close', where the connection is cleaned up.
  socket.on('error', () => {});
  const connection = handler.open(socket);
  if (!connection) return;
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
  socket.on('close', () => handler.close(connection));
}
