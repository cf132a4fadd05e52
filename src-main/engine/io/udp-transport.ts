// The engine's one UDP socket (PROTOCOL.md §2): peers and the base server share it, so the NAT
// mapping the base observes from NAT_INIT is the very one peers punch through. Dual-stack where the
// host has IPv6 (IPv4 peers appear as ::ffff:a.b.c.d on the socket, plain dotted quads everywhere
// else), plain IPv4 where it has not. Port: the configured one (5582), else the next free up to 6999.
//
// Two implementations behind one contract (udp-socket.ts): the addon's socket
// (udp-native-socket.ts: batched receives and sends, far less work per datagram) on Linux and
// macOS, node:dgram (udp-dgram-socket.ts) on Windows, where the addon has no socket.
import { DropCounter } from '../drops.js';
import { openDgramSocket } from './udp-dgram-socket.js';
import { nativeSocketOpener } from './udp-native-socket.js';
import type { DatagramHandler, OpenUdpSocket, UdpTransport } from './udp-socket.js';

/** Stock peers pick the next free port after 5582, up to this one. */
const LAST_PORT = 6999;

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

export async function openUdpTransport(
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
}
