// Packets in and out of the overlay interface on Windows, where there is no TUN fd to pass: the
// helper holds the Wintun session and relays each packet over a per-session named pipe, framed
// with a length prefix (src-helper/api/packet-framing.ts). Same contract as TunIo: each packet reaches
// `onPacket` as a view valid only during the call, writes never wait (a backlog beyond the limit
// drops the packet and counts it), and `ended` says why the device went away.
import { connect, type Socket } from 'node:net';
import type { NativeError } from '../../../src-helper/api/native.js';
import { FrameDecoder, FrameWriter } from '../../../src-helper/api/packet-framing.js';
import {
  countedWrite,
  emptyTunStats,
  type PacketDevice,
  type PacketDeviceHandlers,
  type TunStats,
} from './packet-device.js';

const CONNECT_TIMEOUT_MS = 10_000;

function pipeError(code: string, message: string): NativeError {
  return Object.assign(new Error(message), { code });
}

export class TunPipe implements PacketDevice {
  readonly stats: TunStats = emptyTunStats();
  readonly ended: Promise<NativeError | null>;
  private readonly writer: FrameWriter;
  private open = true;
  private readonly sink = (packet: Uint8Array): boolean => this.open && this.writer.writePacket(packet);
  private failure: NativeError | null = null;

  /** Takes ownership of a connected data-pipe socket. */
  constructor(
    private readonly socket: Socket,
    handlers: PacketDeviceHandlers,
  ) {
    this.writer = new FrameWriter(socket);
    const decoder = new FrameDecoder((packet) => {
      this.stats.packetsRead++;
      this.stats.bytesRead += packet.length;
      handlers.onPacket(packet);
    });
    this.ended = new Promise((resolve) => {
      socket.once('close', () => {
        const reason = this.open
          ? (this.failure ?? pipeError('EPIPE', 'the hnet helper closed the data pipe'))
          : null;
        this.open = false;
        resolve(reason);
        handlers.onEnd?.(reason);
      });
    });
    socket.on('data', (chunk: Buffer) => {
      this.stats.batchesRead++;
      try {
        decoder.push(chunk);
      } catch (error) {
        this.fail(
          pipeError('EPROTO', `the data pipe carried something other than packets: ${String(error)}`),
        );
      }
    });
    socket.on('end', () => {
      if (decoder.pendingBytes > 0) this.fail(pipeError('EPROTO', 'the data pipe ended inside a packet'));
      else socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.fail(pipeError(error.code ?? 'EIO', `the data pipe failed: ${error.message}`)),
    );
  }

  private fail(reason: NativeError): void {
    this.failure ??= reason;
    this.socket.destroy();
  }

  write(packet: Uint8Array): boolean {
    return countedWrite(this.stats, packet, this.sink);
  }

  close(): Promise<NativeError | null> {
    if (this.open) {
      this.open = false;
      this.socket.destroy();
    }
    return this.ended;
  }
}

/** Connects to the data pipe the helper named in its openTun reply. */
export function connectTunPipe(path: string, handlers: PacketDeviceHandlers): Promise<TunPipe> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(
      () =>
        socket.destroy(
          pipeError('ETIMEDOUT', `the hnet helper's data pipe ${path} did not accept within 10 s`),
        ),
      CONNECT_TIMEOUT_MS,
    );
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new TunPipe(socket, handlers));
    });
  });
}
