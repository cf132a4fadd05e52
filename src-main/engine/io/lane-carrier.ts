// What the addon's data lane (data-lane.ts) needs from a UDP socket or an overlay device to take
// their packets over: a way to be handed the lane. It stands alone because the socket and device
// contracts (udp-socket.ts, packet-device.ts) extend it while data-lane.ts itself depends on peers
// and the base connection, which depend on those contracts: declared inside data-lane.ts, it closed
// an import cycle.
import type { OffloadStatus } from '../../contract/status.js';
import type { DataLaneHandle } from '../../native/dataplane-addon.js';

/** A socket or device that can hand its packets to the lane: the addon's own. */
export interface LaneCarrier {
  useLane?(lane: DataLaneHandle | null): void;
  /** The offloads the kernel does for this socket or device now. */
  offloads?(): Partial<OffloadStatus>;
  /** Single packets and datagrams from now on (HNET_OFFLOADS=off). */
  disableOffloads?(): void;
}
