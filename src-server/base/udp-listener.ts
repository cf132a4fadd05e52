// The base's UDP sockets: NAT_INIT, NAT_OK and relayed DATA. Socket 0 is the first STATE address.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import { boundEndpoint } from './bound-address.js';

export type UdpPacketHandler = (socketIndex: number, packet: Buffer, from: RemoteInfo) => void;

/** Large kernel buffers absorb relay bursts; the kernel caps them at net.core.[rw]mem_max. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpListener {
  private constructor(private readonly sockets: Socket[]) {}

  /** Binds every address; on failure, closes what was bound and rejects with a readable error. */
  static async bind(
    addresses: readonly Endpoint[],
    onPacket: UdpPacketHandler,
    onError: (error: Error) => void,
  ): Promise<UdpListener> {
    const sockets: Socket[] = [];
    try {
      for (const [index, address] of addresses.entries()) {
        const socket = createSocket({
          type: address.ip.includes(':') ? 'udp6' : 'udp4',
          recvBufferSize: SOCKET_BUFFER_BYTES,
          sendBufferSize: SOCKET_BUFFER_BYTES,
        });
        sockets.push(socket);
        socket.bind(address.port, address.ip);
        await once(socket, 'listening').catch((error: Error) => {
          throw new Error(`Cannot listen on UDP ${address.ip}:${address.port}: ${error.message}`);
        });
        socket.on('error', onError);
        socket.on('message', (packet, from) => onPacket(index, packet, from));
      }
    } catch (error) {
      for (const socket of sockets) socket.close();
      throw error;
    }
    return new UdpListener(sockets);
  }

  /** Bound addresses in STATE order (with the real port when 0 was asked for). */
  get addresses(): Endpoint[] {
    return this.sockets.map((socket) => boundEndpoint(socket.address()));
  }

  /** Sends `length` bytes of `bytes` from `offset`, from the first socket. */
  send(bytes: Uint8Array, offset: number, length: number, port: number, address: string): void {
    this.sockets[0]!.send(bytes, offset, length, port, address);
  }

  /** Sends `bytes` from the socket with this index (an answer leaves where its question came in). */
  sendFrom(socketIndex: number, bytes: Uint8Array, port: number, address: string): void {
    this.sockets[socketIndex]?.send(bytes, port, address);
  }

  close(): void {
    for (const socket of this.sockets) socket.close();
  }
}
