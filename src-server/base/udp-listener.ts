// The base's UDP sockets: NAT_INIT, NAT_OK, relayed DATA and the cluster's packets between bases.
// Socket 0 is the first STATE address.
//
// They are the engine's batched socket (src-main/engine/io/udp-native-socket.ts), bound to the
// address the base announces: the kernel hands over up to 64 datagrams per system call, JS is called
// once per batch with one buffer for all of them and a source's address text made only when the
// source changes, and what handling a batch sends (a batch relayed over UDP, mostly) leaves in one
// sendmmsg once the batch is done. Where the addon cannot be loaded the same interface runs on
// node:dgram, one datagram per callback: slower, but the server runs.
import {
  DropCounter,
  nativeSocketOpener,
  openDgramSocket,
  type OpenUdpSocket,
  type UdpTarget,
  type UdpTransport,
} from '../../src-main/engine/index.js';
import { formatEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import type { BaseMetrics, DropReason } from './metrics.js';

/**
 * One datagram: `ip` is canonical (IPv4 as a dotted quad), `key` its `endpointKey` with `port`.
 * `packet` is a view the handler may keep and overwrite (the relay rewrites DATA in place).
 */
export type UdpPacketHandler = (
  socketIndex: number,
  packet: Buffer,
  ip: string,
  port: number,
  key: string,
) => void;

/** Which socket the base's UDP runs on. */
export interface UdpSockets {
  open: OpenUdpSocket;
  kind: 'batched' | 'dgram';
  /** Why node:dgram, when it is. */
  reason?: string;
}

/** The addon's batched socket where it loads, node:dgram where it does not (or has no socket: Windows). */
export function udpSocketsForThisHost(loadBatched: () => OpenUdpSocket = nativeSocketOpener): UdpSockets {
  if (process.platform === 'win32')
    return { open: openDgramSocket, kind: 'dgram', reason: 'the addon has no UDP socket on Windows' };
  try {
    return { open: loadBatched(), kind: 'batched' };
  } catch (error) {
    return { open: openDgramSocket, kind: 'dgram', reason: (error as Error).message };
  }
}

/** The socket's own drop reasons (udp-native-socket.ts) as the base counts them. */
const SOCKET_DROPS: Readonly<Record<string, DropReason>> = {
  'udp-receive-oversized': 'oversized',
  'udp-send-queue-full': 'udp_send_queue_full',
};

/** What the socket itself drops (a datagram over 2048 bytes, a full send queue), in the base's metrics. */
export class SocketDrops extends DropCounter {
  constructor(private readonly metrics: BaseMetrics) {
    super();
  }

  override count(reason: string, times = 1): void {
    // A reason the socket learns later still counts, as the datagram it was: one refused.
    const as = SOCKET_DROPS[reason] ?? 'malformed';
    for (let i = 0; i < times; i++) this.metrics.drop(as);
  }
}

export class UdpListener {
  private constructor(
    private readonly sockets: UdpTransport[],
    private readonly bound: Endpoint[],
  ) {}

  /** Binds every address; on failure, closes what was bound and rejects with a readable error. */
  static async bind(
    addresses: readonly Endpoint[],
    onPacket: UdpPacketHandler,
    onError: (error: Error) => void,
    open: OpenUdpSocket,
    drops: DropCounter,
  ): Promise<UdpListener> {
    const sockets: UdpTransport[] = [];
    try {
      for (const [index, address] of addresses.entries()) {
        const socket = await open(
          address.port,
          address.ip.includes(':'),
          (packet, ip, port, key) => onPacket(index, packet, ip, port, key),
          drops,
          address.ip,
        ).catch((error: Error) => {
          throw new Error(`Cannot listen on UDP ${formatEndpoint(address)}: ${error.message}`);
        });
        sockets.push(socket);
        socket.onError(onError);
      }
    } catch (error) {
      for (const socket of sockets) socket.close();
      throw error;
    }
    return new UdpListener(
      sockets,
      sockets.map((socket, index) => ({ ip: addresses[index]!.ip, port: socket.port })),
    );
  }

  /** Bound addresses in STATE order (with the real port when 0 was asked for). */
  get addresses(): Endpoint[] {
    return this.bound.map((endpoint) => ({ ...endpoint }));
  }

  /** `endpoint` prepared for sending from the socket with this index: make it once, send to it often. */
  target(endpoint: Endpoint, socketIndex = 0): UdpTarget {
    return this.sockets[socketIndex]!.target(endpoint);
  }

  /**
   * Sends from the first socket to a target it prepared. It leaves when the running handler
   * returns, with whatever else was sent meanwhile: `bytes` must not change until then.
   */
  send(bytes: Uint8Array, target: UdpTarget): void {
    this.sockets[0]!.send(bytes, target);
  }

  /** Sends from the socket with this index (an answer leaves where its question came in). */
  sendFrom(socketIndex: number, bytes: Uint8Array, to: Endpoint): void {
    const socket = this.sockets[socketIndex];
    socket?.send(bytes, socket.target(to));
  }

  close(): void {
    for (const socket of this.sockets) socket.close();
  }
}
