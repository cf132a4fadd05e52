// What the data plane needs from "the overlay interface", whichever way packets reach it: TunIo
// (a TUN fd read by the addon's thread, Linux/macOS) or TunPipe (frames over the Windows helper's
// data pipe). Declared here, not in tun-io.ts, so the two implementations stay independent.
import type { NativeError } from '../../../src-helper/api/native.js';
import type { LaneCarrier } from './lane-carrier.js';

export interface TunStats {
  packetsRead: number;
  bytesRead: number;
  batchesRead: number;
  packetsWritten: number;
  bytesWritten: number;
  /** Writes the kernel refused with EAGAIN/ENOBUFS (its queue was full). */
  writesDropped: number;
}

export interface PacketDeviceHandlers {
  onPacket(packet: Uint8Array): void;
  /** The device stopped: error is null after close(), else why (e.g. the device was deleted). */
  onEnd?(error: NativeError | null): void;
}

export interface PacketDevice extends LaneCarrier {
  readonly stats: TunStats;
  /** Settles once the device is closed: null after close(), else why it went away. */
  readonly ended: Promise<NativeError | null>;
  /** One IP packet towards the OS; false when it was dropped (counted in stats.writesDropped). */
  write(packet: Uint8Array): boolean;
  close(): Promise<NativeError | null>;
}

export const emptyTunStats = (): TunStats => ({
  packetsRead: 0,
  bytesRead: 0,
  batchesRead: 0,
  packetsWritten: 0,
  bytesWritten: 0,
  writesDropped: 0,
});

/**
 * Hands one packet to a device's sink and counts the outcome; a sink that throws counts as a drop,
 * like a packet the OS refused. Each device creates its sink once, so the hot path allocates nothing.
 */
export function countedWrite(
  stats: TunStats,
  packet: Uint8Array,
  sink: (packet: Uint8Array) => boolean,
): boolean {
  let written = false;
  try {
    written = sink(packet);
  } catch {
    written = false;
  }
  if (!written) {
    stats.writesDropped++;
    return false;
  }
  stats.packetsWritten++;
  stats.bytesWritten += packet.length;
  return true;
}
