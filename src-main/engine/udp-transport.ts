// The engine's one UDP socket (PROTOCOL.md §2): peers and the base server share it, so the NAT
// mapping the base observes from NAT_INIT is the very one peers punch through. Dual-stack where the
// host has IPv6 (IPv4 peers appear as ::ffff:a.b.c.d on the socket, plain dotted quads everywhere
// else), plain IPv4 where it has not. Port: the configured one (5582), else the next free up to 6999.
//
// Two implementations behind one contract: the addon's socket (udp-native-socket.ts: batched
// receives and sends, far less work per datagram) on Linux and macOS, node:dgram
// (udp-dgram-socket.ts) on Windows, where the addon has no socket.
import type { Endpoint } from '../../src-protocol/endpoint.js';
import type { LaneCarrier } from './data-lane.js';
import { DropCounter } from './drops.js';
import { openDgramSocket } from './udp-dgram-socket.js';
import { nativeSocketOpener } from './udp-native-socket.js';

/** Stock peers pick the next free port after 5582, up to this one. */
const LAST_PORT = 6999;

/** Where a datagram goes, in the form the socket wants (prepared once per endpoint). */
export interface UdpTarget {
  readonly address: string;
  readonly port: number;
  /** The addon socket's sockaddr for it; absent with node:dgram. */
  readonly sockaddr?: Uint8Array;
}

/**
 * `ip` is canonical text (IPv4 as a dotted quad, a link-local IPv6 with its `%zone`), comparable
 * with endpoints from messages; `key` is its `endpointKey`, reused for a run of datagrams from the
 * same source; `receivedAt` is when it was read from the socket (performance.now()), before any
 * other datagram of its batch was handled, so round trips do not include our own work. The
 * message stays valid after the call.
 */
export type DatagramHandler = (
  message: Buffer,
  ip: string,
  port: number,
  key: string,
  receivedAt: number,
) => void;

export interface UdpTransport extends LaneCarrier {
  readonly port: number;
  /** Socket errors (an unreachable network, the fd failing), never one per full send queue. */
  onError(listener: (error: Error) => void): void;
  target(endpoint: Endpoint): UdpTarget;
  /**
   * Never throws and takes no callback: a datagram that cannot go is counted and dropped. It leaves
   * before the event loop turns; `bytes` must not change until then.
   */
  send(bytes: Uint8Array, target: UdpTarget): void;
  /** No datagram reaches the handler after this; closing again does nothing. */
  close(): void;
}

/** Binds one socket; throws an error with `code` (EADDRINUSE, EAFNOSUPPORT…) when it cannot. */
export type OpenUdpSocket = (
  port: number,
  dualStack: boolean,
  onDatagram: DatagramHandler,
  drops: DropCounter,
) => Promise<UdpTransport>;

export interface UdpOptions {
  /** Where datagrams dropped by the socket are counted (full send queue, oversized). */
  drops?: DropCounter;
  /** The implementation; by default the one for this platform. */
  openSocket?: OpenUdpSocket;
}

/** The one place the implementation is chosen. */
function platformSocket(): OpenUdpSocket {
  return process.platform === 'win32' ? openDgramSocket : nativeSocketOpener();
}

export const UdpTransport = {
  async open(
    firstPort: number,
    onDatagram: DatagramHandler,
    options: UdpOptions = {},
  ): Promise<UdpTransport> {
    const openSocket = options.openSocket ?? platformSocket();
    const drops = options.drops ?? new DropCounter();
    let lastError: unknown;
    for (let port = firstPort; port <= Math.max(firstPort, LAST_PORT); port++) {
      for (const dualStack of [true, false]) {
        try {
          return await openSocket(port, dualStack, onDatagram, drops);
        } catch (error) {
          lastError = error;
          // A busy port is busy in both families; a family the host lacks fails with another code.
          if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') break;
        }
      }
    }
    throw new Error(`no free UDP port from ${firstPort} to ${LAST_PORT}: ${String(lastError)}`);
  },
};
