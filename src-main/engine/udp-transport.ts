// The engine's one UDP socket (PROTOCOL.md §2): peers and the base server share it, so the NAT
// mapping the base observes from NAT_INIT is the very one peers punch through. Dual-stack where the
// host has IPv6 (IPv4 peers appear as ::ffff:a.b.c.d on the socket, plain dotted quads everywhere
// else), plain IPv4 where it has not. Port: the configured one (5582), else the next free up to 6999.
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import type { Endpoint } from '../../src-protocol/endpoint.js';

/** Stock peers pick the next free port after 5582, up to this one. */
const LAST_PORT = 6999;
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

/** Where a datagram goes, in the form the socket wants (precomputed once per endpoint). */
export interface UdpTarget {
  readonly address: string;
  readonly port: number;
}

/** `ip` is canonical text (IPv4 as a dotted quad), comparable with endpoints from messages. */
export type DatagramHandler = (message: Buffer, ip: string, port: number) => void;

export class UdpTransport {
  private constructor(
    private readonly socket: Socket,
    private readonly dualStack: boolean,
    readonly port: number,
  ) {}

  static async open(firstPort: number, onDatagram: DatagramHandler): Promise<UdpTransport> {
    let lastError: unknown;
    for (let port = firstPort; port <= Math.max(firstPort, LAST_PORT); port++) {
      for (const dualStack of [true, false]) {
        const socket = createSocket({
          type: dualStack ? 'udp6' : 'udp4',
          ipv6Only: false,
          recvBufferSize: SOCKET_BUFFER_BYTES,
          sendBufferSize: SOCKET_BUFFER_BYTES,
          lookup: literalLookup,
        });
        try {
          await bind(socket, port, dualStack ? '::' : '0.0.0.0');
        } catch (error) {
          socket.close();
          lastError = error;
          // A busy port is busy in both families; a family the host lacks fails with another code.
          if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') break;
          continue;
        }
        const transport = new UdpTransport(socket, dualStack, port);
        socket.on('message', (message: Buffer, from: RemoteInfo) =>
          onDatagram(message, canonicalIp(from.address), from.port),
        );
        return transport;
      }
    }
    throw new Error(`no free UDP port from ${firstPort} to ${LAST_PORT}: ${String(lastError)}`);
  }

  /** Socket errors (ICMP unreachable reported late, …) concern one datagram, never the socket. */
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
