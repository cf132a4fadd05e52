// One client's TCP connection: its HELLO cookie, who it proved to be, its budgets, and its
// outgoing side with the two write limits (drop relayed data early, cut off a client that never reads).
import type { Socket } from 'node:net';
import { encodeBaseToPeer, encodeFrame, type BaseToPeerMessage } from '../../src-protocol/base-messages.js';
import type { UdpTarget } from '../../src-main/engine/index.js';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import { TokenBucket, type BaseLimits } from './limits.js';
import type { CloseReason } from './metrics.js';

/** Where a device's NAT_INIT came from: the only UDP source its unsigned DATA is accepted from. */
export interface UdpBinding {
  /** The source's endpointKey as the socket reported it, compared on every packet. */
  key: string;
  /** The same source, as listed in DEVICE_ADDRESSES. */
  endpoint: Endpoint;
  /** The same source prepared for the first UDP socket, where relayed DATA to the device leaves. */
  target: UdpTarget;
  /** When the last NAT_INIT from this source was accepted. */
  refreshedAt: number;
  /** The highest NAT_INIT counter accepted: stock clients count up, so a lower one is a replay. */
  counter: bigint;
}

/** A device that authenticated on a live connection. */
export interface Device {
  readonly id: Uint8Array;
  /** `id` as a map key (see idKey). */
  readonly key: string;
  readonly publicKey: Uint8Array;
  readonly connection: ClientConnection;
  udp: UdpBinding | undefined;
}

/** 16 bytes as a map key; latin1 maps each byte to one UTF-16 unit, so the key is exact and cheap. */
export function idKey(bytes: Uint8Array, offset = 0): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1', offset, offset + 16);
}

export class ClientConnection {
  device: Device | undefined = undefined;
  userAgent: string | undefined = undefined;
  /** Set when another base of the cluster proved this is its link to us (cluster/cluster.ts). */
  clusterBase: string | undefined = undefined;
  lastHeardAt: number;
  /** Set when the server ends the connection, so the close is counted under its real reason. */
  closeReason: CloseReason | undefined = undefined;
  readonly cookieKey: string;
  readonly messageBudget: TokenBucket;
  readonly controlBudget: TokenBucket;
  /** Signed UDP messages get their own budget: anyone who saw the cookie can replay them. */
  readonly udpControlBudget: TokenBucket;

  constructor(
    readonly socket: Socket,
    readonly cookie: Uint8Array,
    /** The server address the client reached, the default public address advertised in STATE. */
    readonly localIp: string,
    readonly remote: string,
    readonly openedAt: number,
    private readonly limits: BaseLimits,
  ) {
    this.cookieKey = idKey(cookie);
    this.lastHeardAt = openedAt;
    this.messageBudget = new TokenBucket(limits.messagesPerSecond, limits.messagesPerSecond, openedAt);
    this.controlBudget = new TokenBucket(limits.controlPerSecond, limits.controlBurst, openedAt);
    this.udpControlBudget = new TokenBucket(limits.controlPerSecond, limits.controlBurst, openedAt);
  }

  /** Queues a control message. Encoding our own messages cannot fail unless the server has a bug. */
  send(message: BaseToPeerMessage): void {
    const payload = encodeBaseToPeer(message);
    if (!payload.ok) throw new Error(`cannot encode ${message.kind}: ${payload.error.message}`);
    const frame = encodeFrame(payload.value);
    if (!frame.ok) throw new Error(`cannot frame ${message.kind}: ${frame.error.message}`);
    this.write(frame.value);
  }

  /** Whether relayed data should be dropped because this client is not keeping up. */
  get congested(): boolean {
    return this.socket.writableLength > this.limits.relayBufferBytes;
  }

  /** Writes an already framed message. */
  write(frame: Uint8Array): void {
    if (this.socket.destroyed) return;
    this.socket.write(frame);
    if (this.socket.writableLength > this.limits.maxBufferedBytes) this.close('not_reading');
  }

  close(reason: CloseReason): void {
    if (this.socket.destroyed) return;
    this.closeReason ??= reason;
    this.socket.destroy();
  }
}
