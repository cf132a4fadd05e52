// One request, one answer, over UDP to the gateway: how PCP and NAT-PMP talk. The socket is
// connected, so the kernel drops datagrams from anyone but the gateway's port, and an ICMP "port
// unreachable" (a router that does not speak the protocol) ends the wait at once.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { notMapped, type MapOutcome } from './mapping.js';

export interface UdpTarget {
  ip: string;
  port: number;
  /** Resend after each of these waits; give up after the last. */
  retryDelaysMs: readonly number[];
}

/** What `read` makes of a datagram: undefined to keep waiting (not an answer to us, or garbage). */
export type ReadAnswer<T> = (bytes: Uint8Array) => MapOutcome<T> | undefined;

/**
 * Sends `build(ourAddress)` (PCP puts our own address inside) and resolves with what `read`
 * makes of the first datagram it accepts. Datagrams it ignores are counted into the no-answer text.
 */
export function udpExchange<T>(
  target: UdpTarget,
  build: (localIp: string) => MapOutcome<Uint8Array>,
  read: ReadAnswer<T>,
  signal: AbortSignal,
): Promise<MapOutcome<T>> {
  const where = `${target.ip}:${target.port}`;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(notMapped('NoAnswer', 'stopped before asking'));
    const socket: Socket = createSocket(isIPv6(target.ip) ? 'udp6' : 'udp4');
    let ignored = 0;
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    let request: Uint8Array | undefined;
    let done = false;

    const finish = (outcome: MapOutcome<T>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      try {
        socket.close();
      } catch {
        // Closed already.
      }
      resolve(outcome);
    };
    const onAbort = () => finish(notMapped('NoAnswer', 'stopped while waiting for the router'));
    const sendNext = () => {
      if (!request) return;
      const delay = target.retryDelaysMs[attempt++];
      if (delay === undefined) {
        const dropped = ignored > 0 ? ` (${ignored} unusable datagrams dropped)` : '';
        return finish(notMapped('NoAnswer', `no answer from ${where}${dropped}`));
      }
      socket.send(request, (error) => {
        if (error) finish(notMapped('NoAnswer', `could not send to ${where}: ${error.message}`));
      });
      timer = setTimeout(sendNext, delay);
    };

    signal.addEventListener('abort', onAbort);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(
        notMapped(
          'NoAnswer',
          error.code === 'ECONNREFUSED' ? `nothing listens on ${where}` : `${where}: ${error.message}`,
        ),
      ),
    );
    socket.on('message', (bytes) => {
      const outcome = read(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (outcome === undefined) ignored++;
      else finish(outcome);
    });
    // No callback: a failed connect then reaches the 'error' handler instead of the callback.
    socket.once('connect', () => {
      const built = build(socket.address().address);
      if (!built.ok) return finish(built);
      request = built.value;
      sendNext();
    });
    socket.connect(target.port, target.ip);
  });
}
