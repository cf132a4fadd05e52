// Packets in and out of the TUN device whose fd the root helper passed us.
//
// Reading never polls from JavaScript: the event loop wakes the addon when the fd is readable, and
// it hands over whole batches (one ArrayBuffer + packet end offsets); each packet reaches `onPacket` as a
// Uint8Array view into that batch, valid only during the call (copy it to keep it). Writes are one
// direct write() each from the addon: the fd is non-blocking, so a full kernel queue drops the
// packet (counted) instead of stalling the event loop. On Windows the same reader runs in the
// helper over a Wintun session (device = adapter name), read by a thread of its own.
import type { NativeError } from '../../../src-helper/api/native.js';
import type { OffloadStatus } from '../../contract/status.js';
import {
  loadDataPlane,
  TUN_OFFLOADS,
  type DataLaneHandle,
  type TunReaderHandle,
} from '../../native/dataplane-addon.js';
import { countedWrite, emptyTunStats, type PacketDeviceHandlers, type TunStats } from './packet-device.js';

export class TunIo {
  readonly stats: TunStats = emptyTunStats();
  /** Settles once reading has stopped and the fd is closed. */
  readonly ended: Promise<NativeError | null>;
  private readonly reader: TunReaderHandle;
  private open = true;
  private readonly sink = (packet: Uint8Array): boolean => this.open && this.reader.write(packet);

  /** Takes ownership of the device (a TUN fd): it is closed when the reader ends. */
  constructor(device: number | string, handlers: PacketDeviceHandlers) {
    const native = loadDataPlane();
    let settle: (error: NativeError | null) => void = () => undefined;
    this.ended = new Promise((resolve) => (settle = resolve));
    this.reader = new native.TunReader(
      device,
      (data, ends) => this.deliver(data, ends, handlers.onPacket),
      (error) => {
        this.open = false;
        settle(error);
        handlers.onEnd?.(error);
      },
    );
  }

  private deliver(data: ArrayBuffer, ends: Uint32Array, onPacket: (packet: Uint8Array) => void): void {
    let start = 0;
    for (const end of ends) {
      onPacket(new Uint8Array(data, start, end - start));
      start = end;
    }
    this.stats.batchesRead++;
    this.stats.packetsRead += ends.length;
    this.stats.bytesRead += start;
  }

  /**
   * Sends one IP packet into the kernel; false when it was dropped: queue full, device closed, or
   * the kernel rejected it (a malformed packet, a deleted device — then onEnd tells why).
   */
  write(packet: Uint8Array): boolean {
    return countedWrite(this.stats, packet, this.sink);
  }

  /** Packets the lane carries from now on bypass onPacket (and these stats). */
  useLane(lane: DataLaneHandle | null): void {
    if (this.open) this.reader.useLane(lane);
  }

  malformedReads(): number {
    return this.open ? this.reader.offloads()[1]! : 0;
  }

  disableOffloads(): void {
    if (this.open) this.reader.disableOffloads();
  }

  offloads(): Partial<OffloadStatus> {
    const [bits = 0] = this.open ? this.reader.offloads() : [];
    return {
      tcpSegments: (bits & TUN_OFFLOADS.tcpSegments) !== 0,
      udpSegments: (bits & TUN_OFFLOADS.udpSegments) !== 0,
    };
  }

  /** Stops reading, closes the fd; resolves when both are done. */
  close(): Promise<NativeError | null> {
    if (this.open) {
      this.open = false;
      this.reader.close();
    }
    return this.ended;
  }
}
