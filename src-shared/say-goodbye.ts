// Closing a connection with a last word (an error line, a 403) without handing the peer our file
// descriptor. end() rather than an immediate close: a client that already wrote its request would
// otherwise be reset before it reads the reason. But a peer that never reads, or never closes its
// side, must not keep the fd: it gets FAREWELL_MS, then the connection is closed anyway.
import type { Duplex } from 'node:stream';

export const FAREWELL_MS = 1_000;

export function sayGoodbye(socket: Duplex, text: string): void {
  // A peer that already left makes the write fail (EPIPE, ECONNRESET): expected, never fatal.
  socket.on('error', () => socket.destroy());
  socket.end(text);
  // Whatever it still sends is read and dropped, so that its end is seen.
  socket.resume();
  const deadline = setTimeout(() => socket.destroy(), FAREWELL_MS);
  socket.once('close', () => clearTimeout(deadline));
}
