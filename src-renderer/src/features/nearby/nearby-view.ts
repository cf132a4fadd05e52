// Devices heard on this LAN by their beacons, as the window lists them: found with no server at all.
// Pure, so it is unit-tested.
import type { NearbyDevice, Status } from '../../../../src-main/contract/status.js';
import { formatAgo } from '../../lib/format.js';

export interface NearbyView {
  address: string;
  /** Its name here, or its address when it has none. */
  name: string;
  detail: string;
  /** Whether it may connect to this device already (whitelist off, or on it). */
  allowed: boolean;
}

/**
 * `status` gives the whitelist and the servers this device knows: a server's websetup node beacons
 * like any device, and is named for what it is.
 */
export function describeNearby(
  device: NearbyDevice,
  status: Pick<Status, 'whitelist' | 'networks' | 'server'>,
  now: number,
): NearbyView {
  const { whitelist } = status;
  const allowed = !whitelist.enabled || whitelist.addresses.includes(device.address);
  const websetup =
    status.server?.websetup === device.address || status.networks.some((n) => n.websetup === device.address);
  return {
    address: device.address,
    name: websetup ? 'websetup of the server in use' : (device.hostname ?? device.address),
    detail: `at ${device.endpoint}, heard ${formatAgo(device.lastHeard, now)}${allowed ? '' : '; not allowed to connect yet'}`,
    allowed,
  };
}
