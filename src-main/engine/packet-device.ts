// What the data plane needs from "the overlay interface", whichever way packets reach it: TunIo
// (a TUN fd read by the addon's thread, Linux/macOS) or TunPipe (frames over the Windows helper's
// data pipe). Declared here, not in tun-io.ts, so the two implementations stay independent.
import type { NativeError } from '../../src-helper/native.js';
import type { LaneCarrier } from './data-lane.js';
import type { TunIoHandlers, TunStats } from './tun-io.js';

export type PacketDeviceHandlers = TunIoHandlers;

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
