// The engine's UDP socket through node:dgram: where the addon has no socket of its own (Windows).
// One datagram per callback, each with a Buffer and an address string; see udp-native-socket.ts
// for the batched one.
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { type Endpoint, endpointKey } from '../../../src-protocol/endpoint.js';
import type { DatagramHandler, OpenUdpSocket, UdpTarget, UdpTransport } from './udp-socket.js';

/** Big kernel buffers absorb bursts while the event loop is busy with crypto. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
const MAPPED_PREFIX = '::ffff:';

/**
 * Every address we send to or bind is already an IP literal (see `target`). dgram would still ask
 * dns.lookup, which answers a literal only on the next tick: a closure, a queued callback and the
 * parsing again for every datagram. Answering at once is the same result without that.
 */
const literalLookup: SocketOptions['lookup'] = (address, options, callback) => {
  const family = typeof options === 'number' ? options : (options.family ?? 0);
  callback(null, address, family === 'IPv6' || family === 6 ? 6 : 4);
};

export const openDgramSocket: OpenUdpSocket = async (port, dualStack, onDatagram, _drops, address) => {
  const socket = createSocket({
    type: dualStack ? 'udp6' : 'udp4',
    ipv6Only: false,
    recvBufferSize: SOCKET_BUFFER_BYTES,
    sendBufferSize: SOCKET_BUFFER_BYTES,
    lookup: literalLookup,
  });
  try {
    await bind(socket, port, address ?? (dualStack ? '::' : '0.0.0.0'));
  } catch (error) {
    socket.close();
    throw error;
  }
  return new DgramTransport(socket, dualStack, onDatagram);
};

class DgramTransport implements UdpTransport {
  readonly port: number;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly dualStack: boolean,
    onDatagram: DatagramHandler,
  ) {
    this.port = socket.address().port;
    socket.on('message', (message: Buffer, from: RemoteInfo) => {
      const ip = canonicalIp(from.address);
      onDatagram(message, ip, from.port, endpointKey({ ip, port: from.port }), performance.now());
    });
  }

  onError(listener: (error: Error) => void): void {
    this.socket.on('error', listener);
  }

  target(endpoint: Endpoint): UdpTarget {
    const v4 = !endpoint.ip.includes(':');
    return {
      address: v4 && this.dualStack ? `${MAPPED_PREFIX}${endpoint.ip}` : endpoint.ip,
      port: endpoint.port,
    };
  }

  /** No callback: the hot path must not allocate one per datagram; errors surface on the socket. */
  send(bytes: Uint8Array, target: UdpTarget): void {
    this.socket.send(bytes, target.port, target.address);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, so every IPv4 address has one spelling inside the engine. */
export function canonicalIp(address: string): string {
  return address.startsWith(MAPPED_PREFIX) && address.includes('.')
    ? address.slice(MAPPED_PREFIX.length)
    : address;
}
