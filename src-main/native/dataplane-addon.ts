// Typed loader for the engine's data-plane addon (src-main/native): the TUN reader, the batched UDP
// socket and the data lane with its cipher. It reads and parses packets, so only the unprivileged
// engine loads it; the root helper's addon (src-helper/api/native.ts) has none of it. Loaded lazily,
// on the first call, so modules that merely import this file still load where it is not built.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { NativeError, PacketReaderHandle } from '../../src-helper/api/native.js';

/** What the reader hands over and takes, on the fd of a TUN device the helper opened. */
export interface TunReaderHandle extends PacketReaderHandle {
  /**
   * From now on packets the lane handles are not passed to onBatch, and the lane writes what it
   * receives to this device; null detaches it. Throws ENOTSUP for a Wintun adapter.
   */
  useLane(lane: DataLaneHandle | null): void;
  /** [TUN_OFFLOADS bits the device took, packets read that no header could describe]; zeros once closed. */
  offloads(): Float64Array;
  /** Asks the kernel for single packets from now on, and writes single packets only. */
  disableOffloads(): void;
}

/** Bits of TunReaderHandle.offloads()[0], as TunOffload in packet-source.h. */
export const TUN_OFFLOADS = {
  /** Every packet carries a virtio-net header: the lane writes joined TCP segments. */
  vnetHeader: 1,
  /** The kernel hands over TCP segments of up to 64 KB (TSO), cut into packets as read. */
  tcpSegments: 2,
  /** The same for UDP (USO, Linux 6.2+). */
  udpSegments: 4,
} as const;

/** Bytes per datagram in UdpSocketHandle.sources. */
export const UDP_SOURCE_BYTES = 24;
/** Most datagrams per onBatch call, the length of UdpSocketHandle.ends. */
export const UDP_BATCH = 64;

/**
 * The engine's UDP socket (Linux, macOS): receives in batches on the main loop, sends with one
 * sendto() each. See src-main/native/src/udp-socket.h.
 */
export interface UdpSocketHandle {
  /** The bound port (the one asked for, or the kernel's pick for 0). */
  readonly port: number;
  /** During onBatch: datagram i is data[ends[i - 1] ?? 0, ends[i]). */
  readonly ends: Uint32Array;
  /**
   * During onBatch: UDP_SOURCE_BYTES per datagram, 16-byte address (IPv4 as ::ffff:a.b.c.d),
   * port in network order, 2 zero bytes, then the scope id (native u32) of a link-local source, else 0.
   */
  readonly sources: Uint8Array;
  /**
   * During onBatch: when datagram i arrived, in ms on process.hrtime's clock — the kernel's own
   * stamp where it gives one (Linux), else when the socket was read.
   */
  readonly arrivals: Float64Array;
  /** 0, or the errno of the one sendto(); nothing is thrown or queued. */
  send(packet: Uint8Array, sockaddr: Uint8Array): number;
  /** Up to UDP_BATCH packets in one sendmmsg(); returns how many failed (see sendErrors). */
  sendMany(packets: Uint8Array[], sockaddrs: Uint8Array[], count: number): number;
  /** After sendMany: the errno of each packet that failed, 0 for those sent. */
  readonly sendErrors: Int32Array;
  /** The destination in the socket's own sockaddr form; undefined when ip is no IP literal. */
  sockaddr(ip: string, port: number): Uint8Array | undefined;
  /** The name of the interface with this index (a link-local source's scope), or the number as text. */
  interfaceName(index: number): string;
  /**
   * From now on datagrams the lane handles are not passed to onBatch, and the lane sends through
   * this socket; null detaches it.
   */
  useLane(lane: DataLaneHandle | null): void;
  /** [1 when the kernel joins runs of datagrams on receive (UDP GRO), else 0; reads that brought a joined run]. */
  offloads(): Float64Array;
  /** Datagrams one per read from now on. */
  disableOffloads(): void;
  /** Stops receiving and closes the fd; no callback follows. */
  close(): void;
}

/** What `LaneCipherHandle.open` returns instead of a payload length when the packet is refused. */
export const LANE_OPEN_REFUSED = {
  /** Not a data packet of a possible length. */
  BadLength: -1,
  /** The MAC did not verify: forged, corrupted, or sealed under another key. */
  DecryptFailed: -2,
  /** The replay window saw this counter already… */
  Replayed: -3,
  /** …or it is further behind the newest than the window reaches… */
  TooOld: -4,
  /** …or it is 0 or beyond 2^53 - 1. */
  Invalid: -5,
} as const;

/**
 * One key epoch of a security session (PROTOCOL.md §3 data packets) held in the addon, so that the
 * data lane and JavaScript seal under one packet counter and open under one replay window.
 * Garbage-collected like any object; the lane keeps what it routes alive.
 */
export interface LaneCipherHandle {
  /**
   * Seals `0x00 ‖ nonce(24) ‖ crypto_secretbox_easy(tx, nonce, seq(u64 LE) ‖ payload)` into `out`
   * at `offset` and returns its length (payload + 49). seq is the new packet count when the cipher
   * is counted, else 0. Throws a RangeError when out has no room or the payload is 0 or > 1950 bytes.
   */
  seal(payload: Uint8Array, out: Uint8Array, offset: number): number;
  /**
   * Opens a data packet (first byte 0) with rx into `out` at `offset`: the payload length, or one of
   * LANE_OPEN_REFUSED. A counted cipher checks seq against its replay window (RFC 6479, 2048
   * counters) and commits it only once the MAC verified. Throws a RangeError when out has no room.
   */
  open(packet: Uint8Array, out: Uint8Array, offset: number): number;
  /** Packets sealed under this cipher so far, by JavaScript and by the lane. */
  readonly sent: number;
  /** Packets opened (MAC verified, window passed) so far, by JavaScript and by the lane. */
  readonly opened: number;
}

/** The lane's own counts, in the order of DataLaneHandle.stats. */
export const LANE_STATS = [
  /** IPv6 packets the lane took from the TUN device and sent to a peer. */
  'tunPacketsRead',
  'tunBytesRead',
  /** IPv6 packets the lane rebuilt from a peer's DATA and wrote to the TUN device. */
  'tunPacketsWritten',
  'tunBytesWritten',
  /** Dropped: DATA under the routed key that its replay window refused. */
  'replayed',
  /** Dropped: the TUN device refused the write (queue full, device gone). */
  'tunWriteFailed',
  /** Dropped: the UDP socket's kernel queue was full (EAGAIN, ENOBUFS). */
  'udpSendQueueFull',
  /** Dropped: sendto failed otherwise (EPERM from a firewall, ENETUNREACH…). */
  'udpSendFailed',
  /** Sends that carried several datagrams at once (UDP GSO). */
  'udpSegmentedSends',
  /** TUN writes that carried several packets joined into one segment. */
  'tunJoinedWrites',
] as const;

/** Numbers per peer written by DataLaneHandle.counters, before one number per routed source. */
export const LANE_PEER_COUNTERS = ['packetsSent', 'bytesSent', 'packetsReceived', 'bytesReceived'] as const;

/**
 * The data lane: the per-packet path of established direct sessions, run in the addon so that a
 * packet between the TUN device and a peer never enters JavaScript (entering JS for a lone packet
 * costs ~0.1 ms on an idle VM; bench/wake-cost.ts). JavaScript keeps everything else — handshakes,
 * paths, heartbeats, multicast, the base — and tells the lane, per peer, which cipher, which
 * endpoint and which authenticated sources it may use. Whatever the lane does not fully handle it
 * hands to JavaScript unchanged, so the lane only ever makes a packet faster, never different.
 */
export interface DataLaneHandle {
  /** A cipher for one key epoch: rx and tx are 32-byte keys; counted: the replay-window extension. */
  cipher(rx: Uint8Array, tx: Uint8Array, counted: boolean): LaneCipherHandle;
  /**
   * What the lane may do for the peer with this 16-byte address, replacing what was set before:
   * - TUN → peer: an IPv6 packet from our own address to the peer (not multicast) is compressed
   *   (PROTOCOL.md §4), sealed with `cipher`, prefixed with P2P DATA (0x02) and sent to `target`
   *   (a sockaddr from UdpSocketHandle.sockaddr). target null: such packets go to JavaScript.
   * - peer → TUN: a P2P DATA datagram whose source equals one of `sources` (sockaddrs) and whose
   *   security packet is data that `cipher` opens is rebuilt into IPv6 (hop limit 3, src = peer,
   *   dst = own) and written to the TUN device. Refused by the replay window: dropped and counted.
   *   Anything else (heartbeats, handshakes, another key) goes to JavaScript.
   * - relayed (target null): TUN → peer packets go through the base instead, as base DATA
   *   `0x01 ‖ own id ‖ peer id ‖ security packet` to the relayThrough target, while there is one;
   *   and base DATA `0x02 ‖ peer id ‖ security packet` from a relayThrough source is opened and
   *   written to the TUN device as above (it counts in packetsReceived, not in any source's count).
   *   Relayed DATA from the base is taken whether relayed is set or not: the peer may relay.
   * cipher null forgets the peer. Resets the peer's counters. At most 8 sources (RangeError).
   */
  route(
    peer: Uint8Array,
    cipher: LaneCipherHandle | null,
    target: Uint8Array | null,
    sources: Uint8Array[],
    relayed: boolean,
  ): void;
  /**
   * The base server's UDP relay while it is alive (PROTOCOL.md §5): `target` is where relayed DATA
   * goes (the first STATE endpoint), `sources` (at most 8) the base endpoints relayed DATA may come
   * from. null: no UDP relay (the base is reached over TCP, or not at all): relayed packets go to
   * JavaScript, and datagrams from the old sources are no longer taken (sources are then ignored).
   * Whatever a source sends is read as base DATA, never as a peer's P2P DATA (both are kind 0x02).
   */
  relayThrough(target: Uint8Array | null, sources: Uint8Array[]): void;
  /**
   * The peer's counters since its route was set, into `out`: LANE_PEER_COUNTERS (bytes are IPv6
   * packet lengths), then packets received from each of the route's sources in order. False (and
   * out untouched) when the peer has no route; a RangeError when out is too short for them.
   */
  counters(peer: Uint8Array, out: Float64Array): boolean;
  /**
   * Round trips (ms) of the ICMPv6 echoes the lane carried to the peer and back since the last call
   * (from the request read from TUN to its reply opened), into `out`, oldest first: how many. The
   * lane keeps the last 16 between calls; 0 when the peer has no route.
   */
  echoRoundTrips(peer: Uint8Array, out: Float64Array): number;
  /** LANE_STATS, counted since the lane was made: a fresh copy at every read. */
  readonly stats: Float64Array;
  /** True while the lane sends runs of datagrams in one message (UDP GSO): until the kernel refuses one. */
  readonly segmenting: boolean;
  /** One datagram per message from now on. */
  disableOffloads(): void;
}

/** The raw addon surface; see src-main/native/src/addon.cc. */
export interface DataPlaneAddon {
  /** device: a TUN fd (the reader owns it from then on); a Wintun adapter name only on Windows. */
  TunReader: new (
    device: number | string,
    onBatch: (data: ArrayBuffer, ends: Uint32Array) => void,
    onEnd: (error: NativeError | null) => void,
  ) => TunReaderHandle;
  /**
   * Binds [::]:port with IPv4 mapped (dualStack) or 0.0.0.0:port, or `address` (an IPv6 literal
   * when dualStack, else IPv4; a TypeError otherwise) instead of the wildcard; throws a NativeError
   * (EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT…). onBatch gets `count` datagrams packed in `data`
   * (see UdpSocketHandle.ends), how many were dropped since the last call for exceeding 2048 bytes,
   * and when the batch was read (libuv's uv_hrtime in ms, the clock of process.hrtime). Throws
   * ENOTSUP on Windows.
   */
  UdpSocket: new (
    port: number,
    dualStack: boolean,
    onBatch: (data: Buffer, count: number, oversized: number) => void,
    onError: (error: NativeError) => void,
    address?: string,
  ) => UdpSocketHandle;
  /**
   * A data lane for the node with this 16-byte address. Throws a NativeError with code ENOTSUP
   * where libsodium (libsodium.so.23 and the like) cannot be loaded: the engine then stays in
   * JavaScript, as before.
   */
  DataLane: new (ownAddress: Uint8Array) => DataLaneHandle;
  /**
   * On a connected TCP socket's fd: keepalive probes `intervalSeconds` apart from `idleSeconds` of
   * idleness, the connection ended after `probes` unanswered ones or after data stayed
   * unacknowledged `unackedMs`. False where the system lacks one of these (not Linux).
   */
  watchTcpLiveness(
    fd: number,
    idleSeconds: number,
    intervalSeconds: number,
    probes: number,
    unackedMs: number,
  ): boolean;
}

// Where the addon may be: set explicitly (a packaged app keeps it outside the asar archive), beside
// this file when run from source, beside the bundle that inlined this file (the packaged daemons),
// or back in the source tree when this file was compiled into dist/.
const FILE = 'hnet_dataplane.node';
const candidates = [
  process.env.HNET_DATAPLANE_ADDON,
  new URL(`./build/Release/${FILE}`, import.meta.url).pathname,
  new URL(`./${FILE}`, import.meta.url).pathname,
  new URL(`../../../src-main/native/build/Release/${FILE}`, import.meta.url).pathname,
].filter((path): path is string => path !== undefined);
/** The file loadDataPlane loads (or would). */
export const dataPlaneAddonPath = candidates.find((path) => existsSync(path)) ?? candidates[0]!;

let addon: DataPlaneAddon | undefined;

export function loadDataPlane(): DataPlaneAddon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)(dataPlaneAddonPath) as DataPlaneAddon;
  } catch (error) {
    throw new Error(
      `The hnet data-plane addon could not be loaded from ${dataPlaneAddonPath}; build it with ` +
        `"npm run build:native". (${(error as Error).message})`,
      { cause: error },
    );
  }
  return addon;
}
