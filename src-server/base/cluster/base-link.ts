// How this base reaches one other base of its cluster: UDP while that base answers our pings, else
// a TCP connection to its listener that we keep open for the purpose (announced by a sealed HELLO
// over the cookie it sent us, like a client's first signed message). Each base sends over its own
// link only; the other direction is the other base's link to us.
import { connect, type Socket } from 'node:net';
import {
  decodeBaseToPeer,
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MAX_FRAME_PAYLOAD,
  writeFrameHeader,
} from '../../../src-protocol/base-messages.js';
import type { UdpTarget } from '../../../src-main/engine/index.js';
import { endpointKey, formatEndpoint } from '../../../src-protocol/endpoint.js';
import type { ClusterBase } from './cluster-directory.js';
import type { ClusterType } from './cluster-wire.js';

/** UDP counts as working this long after the last PONG (pings go every PING_MS). */
export const UDP_ALIVE_MS = 3_000;
export const PING_MS = 1_000;
/** The far listener closes connections silent for 90 s: a ping over TCP keeps ours open. */
const TCP_KEEPALIVE_MS = 20_000;
const RECONNECT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Relayed data queued on the TCP link beyond this is dropped rather than queued without end. */
const MAX_TCP_BACKLOG = 1024 * 1024;

export interface LinkIo {
  /** A sealed packet from us, with `headroom` spare bytes in front. */
  seal(type: ClusterType, body: Uint8Array, headroom?: number): Uint8Array;
  sendUdp(packet: Uint8Array, to: UdpTarget): void;
  log(line: string): void;
}

export type LinkPath = 'udp' | 'tcp';

export class BaseLink {
  lastPongAt = -Infinity;
  /** The base's UDP endpoint as the socket names a datagram's source: only its packets are its. */
  readonly udpKey: string;
  private socket: Socket | undefined;
  private ready = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private reconnect: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly base: ClusterBase,
    private readonly io: LinkIo,
    /** The base's UDP endpoint, prepared for our first UDP socket. */
    readonly udpTarget: UdpTarget,
  ) {
    this.udpKey = endpointKey(base.udp);
    this.timers.push(setInterval(() => this.ping(), PING_MS));
    this.timers.push(setInterval(() => this.keepTcpAlive(), TCP_KEEPALIVE_MS));
    for (const timer of this.timers) timer.unref();
    this.ping();
    this.connectTcp();
  }

  udpAlive(now: number): boolean {
    return now - this.lastPongAt < UDP_ALIVE_MS;
  }

  get tcpReady(): boolean {
    return this.ready;
  }

  /**
   * Sends a sealed packet made with FRAME_HEADER_LENGTH bytes of headroom; returns the path it
   * took, or why it could not go.
   */
  send(framed: Uint8Array, now: number): LinkPath | 'unreachable' | 'backpressure' | 'oversized' {
    const packet = framed.subarray(FRAME_HEADER_LENGTH);
    if (this.udpAlive(now)) {
      this.io.sendUdp(packet, this.udpTarget);
      return 'udp';
    }
    if (!this.ready || !this.socket) return 'unreachable';
    if (packet.length > MAX_FRAME_PAYLOAD) return 'oversized';
    if (this.socket.writableLength > MAX_TCP_BACKLOG) return 'backpressure';
    writeFrameHeader(framed, 0, packet.length);
    this.socket.write(framed);
    return 'tcp';
  }

  private ping(): void {
    this.io.sendUdp(this.io.seal('ping', new Uint8Array(0)), this.udpTarget);
  }

  private keepTcpAlive(): void {
    if (this.ready && this.socket)
      this.writeFramed(this.io.seal('ping', new Uint8Array(0), FRAME_HEADER_LENGTH));
  }

  private writeFramed(framed: Uint8Array): void {
    writeFrameHeader(framed, 0, framed.length - FRAME_HEADER_LENGTH);
    this.socket?.write(framed);
  }

  private connectTcp(): void {
    if (this.closed) return;
    const socket = connect({ host: this.base.tcp.ip, port: this.base.tcp.port, noDelay: true });
    this.socket = socket;
    const decoder = new FrameDecoder();
    const timeout = setTimeout(() => socket.destroy(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
    socket.on('connect', () => clearTimeout(timeout));
    socket.on('data', (chunk) => {
      const { frames, error } = decoder.push(chunk);
      if (error) return socket.destroy(new Error(error.message));
      for (const frame of frames) {
        // The listener greets with HELLO(cookie); we answer with our sealed HELLO over that cookie.
        if (this.ready) continue;
        const hello = decodeBaseToPeer(frame);
        if (!hello.ok || hello.value.kind !== 'hello') continue;
        this.writeFramed(this.io.seal('hello', hello.value.cookie, FRAME_HEADER_LENGTH));
        this.ready = true;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', (hadError) => {
      clearTimeout(timeout);
      if (this.ready)
        this.io.log(
          `cluster: TCP link to ${formatEndpoint(this.base.tcp)} closed${hadError ? ' on an error' : ''}`,
        );
      this.ready = false;
      if (this.socket === socket) this.socket = undefined;
      if (this.closed) return;
      this.reconnect = setTimeout(() => this.connectTcp(), RECONNECT_MS);
      this.reconnect.unref();
    });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.reconnect);
    this.socket?.destroy();
  }
}
