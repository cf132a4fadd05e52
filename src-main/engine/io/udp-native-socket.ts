// The engine's UDP socket through the addon (src-main/native/src/udp-socket.cc): the kernel hands
// over up to 64 datagrams per system call and JS is called once per batch; what one turn of the
// event loop sends leaves in one sendmmsg; and nothing is built per datagram but a Buffer view:
// source text and key are made again only when a datagram comes from another source than the one
// before, which under load is rare.
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { formatIp, type Endpoint, endpointKey } from '../../../src-protocol/endpoint.js';
import {
  loadDataPlane,
  UDP_BATCH,
  UDP_SOURCE_BYTES,
  type DataLaneHandle,
  type DataPlaneAddon,
  type UdpSocketHandle,
} from '../../native/dataplane-addon.js';
import type { OffloadStatus } from '../../contract/status.js';
import type { DropCounter } from '../drops.js';
import type { DatagramHandler, OpenUdpSocket, UdpTarget, UdpTransport } from './udp-socket.js';

const { EAGAIN, EWOULDBLOCK, ENOBUFS } = constants.errno;
const SOURCE_WORDS = UDP_SOURCE_BYTES / 4;
const SCOPE_WORD = 5;
/** What a destination that is no IP literal gets: the socket refuses it (EINVAL), counted like any error. */
const NO_SOCKADDR = new Uint8Array(0);

/** Loads the addon once, so a missing build fails at once instead of at every port tried. */
export function nativeSocketOpener(): OpenUdpSocket {
  const { UdpSocket } = loadDataPlane();
  return async (port, dualStack, onDatagram, drops, address) =>
    new NativeTransport(UdpSocket, port, dualStack, onDatagram, drops, address);
}

class NativeTransport implements UdpTransport {
  readonly port: number;
  private readonly socket: UdpSocketHandle;
  private readonly sourceWords: Uint32Array;
  private readonly errorListeners: ((error: Error) => void)[] = [];
  private open = true;
  /** The source of the previous datagram, as the addon wrote it, and its text. */
  private readonly lastSource = new Uint32Array(SOURCE_WORDS);
  private lastIp = '';
  private lastPort = 0;
  private lastKey = '';
  private readonly queuedPackets: Uint8Array[] = [];
  private readonly queuedTargets: Uint8Array[] = [];
  private queued = 0;
  /** performance.now() less the addon's clock (uv_hrtime, as process.hrtime): both are monotonic. */
  private readonly clockOffset = performance.now() - Number(process.hrtime.bigint()) / 1e6;

  constructor(
    UdpSocket: DataPlaneAddon['UdpSocket'],
    port: number,
    dualStack: boolean,
    private readonly onDatagram: DatagramHandler,
    private readonly drops: DropCounter,
    address: string | undefined,
  ) {
    this.socket = new UdpSocket(
      port,
      dualStack,
      (data, count, oversized) => this.deliver(data, count, oversized),
      (error) => this.emitError(error),
      address,
    );
    this.port = this.socket.port;
    const { sources } = this.socket;
    this.sourceWords = new Uint32Array(sources.buffer, sources.byteOffset, sources.byteLength / 4);
  }

  onError(listener: (error: Error) => void): void {
    this.errorListeners.push(listener);
  }

  target(endpoint: Endpoint): UdpTarget {
    const { ip, port } = endpoint;
    return { address: ip, port, sockaddr: this.socket.sockaddr(ip, port) ?? NO_SOCKADDR };
  }

  /** Queued until the running JS returns (a microtask), so a batch of packets leaves in one system call. */
  send(bytes: Uint8Array, target: UdpTarget): void {
    const n = this.queued;
    this.queuedPackets[n] = bytes;
    this.queuedTargets[n] = target.sockaddr ?? NO_SOCKADDR;
    this.queued = n + 1;
    if (n === 0) queueMicrotask(this.flush);
    else if (n + 1 === UDP_BATCH) this.flush();
  }

  useLane(lane: DataLaneHandle | null): void {
    if (this.open) this.socket.useLane(lane);
  }

  disableOffloads(): void {
    if (this.open) this.socket.disableOffloads();
  }

  offloads(): Partial<OffloadStatus> {
    return { udpReceive: this.open && this.socket.offloads()[0] === 1 };
  }

  close(): void {
    this.flush();
    this.open = false;
    this.socket.close();
  }

  /**
   * Sends what this turn of the event loop queued: sendmmsg costs ~0.9 µs less per datagram than
   * sendto from 16 on, and a TUN batch under load queues ~50. A lone datagram takes plain sendto,
   * which is cheaper than the batch call for one.
   */
  private readonly flush = (): void => {
    const count = this.queued;
    this.queued = 0;
    if (count === 1) {
      const error = this.socket.send(this.queuedPackets[0]!, this.queuedTargets[0]!);
      if (error !== 0) this.sendFailed(error);
      return;
    }
    if (count === 0 || this.socket.sendMany(this.queuedPackets, this.queuedTargets, count) === 0) return;
    const errors = this.socket.sendErrors;
    for (let i = 0; i < count; i++) if (errors[i] !== 0) this.sendFailed(errors[i]!);
  };

  private deliver(data: Buffer, count: number, oversized: number): void {
    for (let i = 0; i < oversized; i++) this.drops.count('udp-receive-oversized');
    const { ends, arrivals } = this.socket;
    let start = 0;
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < count && this.open; i++) {
      const end = ends[i]!;
      this.readSource(i);
      // One datagram's exception must not cost the rest of the batch; it surfaces afterwards.
      try {
        const receivedAt = arrivals[i]! + this.clockOffset;
        this.onDatagram(data.subarray(start, end), this.lastIp, this.lastPort, this.lastKey, receivedAt);
      } catch (error) {
        failure ??= { error };
      }
      start = end;
    }
    if (failure) throw failure.error;
  }

  /** Makes lastIp, lastPort and lastKey describe datagram i's source. */
  private readSource(i: number): void {
    const words = this.sourceWords;
    const last = this.lastSource;
    const at = i * SOURCE_WORDS;
    let same = this.lastKey !== '';
    for (let w = 0; same && w < SOURCE_WORDS; w++) same = words[at + w] === last[w];
    if (same) return;
    for (let w = 0; w < SOURCE_WORDS; w++) last[w] = words[at + w]!;
    const bytes = this.socket.sources;
    const offset = i * UDP_SOURCE_BYTES;
    const scope = last[SCOPE_WORD]!;
    // A link-local address means nothing without its interface; Node's dgram names it the same way.
    const address = formatIp(bytes.subarray(offset, offset + 16));
    const ip = scope === 0 ? address : `${address}%${this.socket.interfaceName(scope)}`;
    const port = (bytes[offset + 16]! << 8) | bytes[offset + 17]!;
    this.lastIp = ip;
    this.lastPort = port;
    this.lastKey = endpointKey({ ip, port });
  }

  private sendFailed(errno: number): void {
    // The kernel's queue is full: dropped, as a NIC would; TCP above notices and slows down.
    if (errno === EAGAIN || errno === EWOULDBLOCK || errno === ENOBUFS)
      return this.drops.count('udp-send-queue-full');
    const code = getSystemErrorName(-errno);
    this.emitError(Object.assign(new Error(`sendto failed: ${code}`), { code, errno, syscall: 'sendto' }));
  }

  private emitError(error: Error): void {
    for (const listener of this.errorListeners) listener(error);
  }
}
