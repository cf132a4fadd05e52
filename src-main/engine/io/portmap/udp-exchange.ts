// One request, one answer, over UDP to the gateway: how PCP and NAT-PMP talk. The socket is
// connected, so the kernel drops datagrams from anyone but the gateway's port, and an ICMP "port
// unreachable" (a router that does not speak the protocol) ends the wait at once.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
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

/** One wait for an answer over a socket of its own, resent on a schedule (PCP, NAT-PMP, SSDP). */
export interface RetriedExchange<T> {
  socket: Socket;
  /** Resend after each of these waits; give up after the last. */
  retryDelaysMs: readonly number[];
  /** Binds or connects the socket, then calls `ready`; or ends the exchange with `end`. */
  open(ready: () => void, end: (outcome: MapOutcome<T>) => void): void;
  /** Sends try number `attempt` (0 first). */
  send(attempt: number, end: (outcome: MapOutcome<T>) => void): void;
  /** What a datagram means: undefined to keep waiting. */
  read(bytes: Uint8Array, from: RemoteInfo): MapOutcome<T> | undefined;
  /** The outcome once the last wait ran out. */
  unanswered(): MapOutcome<T>;
  /** The outcome of a socket error. */
  failed(error: NodeJS.ErrnoException): MapOutcome<T>;
}

/**
 * Runs `exchange` until an answer, the last wait, a socket error or `signal`, whichever is first;
 * the socket is closed however it ends.
 */
export function retryUntilAnswered<T>(
  exchange: RetriedExchange<T>,
  signal: AbortSignal,
): Promise<MapOutcome<T>> {
  const { socket } = exchange;
  return new Promise((resolve) => {
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
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
    if (signal.aborted) return finish(notMapped('NoAnswer', 'stopped before asking'));
    const sendNext = () => {
      const delay = exchange.retryDelaysMs[attempt];
      if (delay === undefined) return finish(exchange.unanswered());
      exchange.send(attempt++, finish);
      timer = setTimeout(sendNext, delay);
    };
    signal.addEventListener('abort', onAbort);
    socket.on('error', (error: NodeJS.ErrnoException) => finish(exchange.failed(error)));
    socket.on('message', (bytes, from) => {
      const outcome = exchange.read(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), from);
      if (outcome !== undefined) finish(outcome);
    });
    exchange.open(sendNext, finish);
  });
}

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
  const socket = createSocket(isIPv6(target.ip) ? 'udp6' : 'udp4');
  let ignored = 0;
  let request: Uint8Array = new Uint8Array();
  return retryUntilAnswered(
    {
      socket,
      retryDelaysMs: target.retryDelaysMs,
      open: (ready, end) => {
        // No callback: a failed connect then reaches the 'error' handler instead of the callback.
        socket.once('connect', () => {
          const built = build(socket.address().address);
          if (!built.ok) return end(built);
          request = built.value;
          ready();
        });
        socket.connect(target.port, target.ip);
      },
      send: (_attempt, end) =>
        socket.send(request, (error) => {
          if (error) end(notMapped('NoAnswer', `could not send to ${where}: ${error.message}`));
        }),
      read: (bytes) => {
        const outcome = read(bytes);
        if (outcome === undefined) ignored++;
        return outcome;
      },
      unanswered: () => {
        const dropped = ignored > 0 ? ` (${ignored} unusable datagrams dropped)` : '';
        return notMapped('NoAnswer', `no answer from ${where}${dropped}`);
      },
      failed: (error) =>
        notMapped(
          'NoAnswer',
          error.code === 'ECONNREFUSED' ? `nothing listens on ${where}` : `${where}: ${error.message}`,
        ),
    },
    signal,
  );
}
