// The contract of the engine's one UDP socket (udp-transport.ts says which socket and why): what
// a datagram's destination looks like, how received datagrams are handed over, and what an opened
// socket offers. Both implementations (udp-native-socket.ts, udp-dgram-socket.ts) and everything
// that sends through the socket (peers, the base connection, the data lane) import these types from
// here. It stands alone because udp-transport.ts imports the implementations to choose one: with the
// types declared there, each implementation and udp-transport.ts imported each other.
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import type { DropCounter } from '../drops.js';
import type { LaneCarrier } from './lane-carrier.js';

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

/**
 * Binds one socket; throws an error with `code` (EADDRINUSE, EAFNOSUPPORT…) when it cannot. The
 * engine binds the wildcard; the base server passes `address`, an IP literal of the socket's family
 * (IPv6 when dualStack), to bind only the address it announces.
 */
export type OpenUdpSocket = (
  port: number,
  dualStack: boolean,
  onDatagram: DatagramHandler,
  drops: DropCounter,
  address?: string,
) => Promise<UdpTransport>;
