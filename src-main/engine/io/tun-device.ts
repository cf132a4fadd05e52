// Chooses how packets reach the overlay interface from what the helper's openTun reply carried:
// a TUN fd (Linux/macOS) read by the addon's thread, or the name of the per-session data pipe the
// Windows helper relays its Wintun session over. Keyed on the reply, not on process.platform, so
// a helper and engine always agree and both paths run in tests on any OS.
import type { PacketDevice, PacketDeviceHandlers } from './packet-device.js';
import { TunIo } from './tun-io.js';
import { connectTunPipe } from './tun-pipe.js';
import type { OpenedTun } from '../../../src-helper/api/helper-client.js';

export function openPacketDevice(opened: OpenedTun, handlers: PacketDeviceHandlers): Promise<PacketDevice> {
  if ('dataPipe' in opened) return connectTunPipe(opened.dataPipe, handlers);
  return Promise.resolve(new TunIo(opened.fd, handlers));
}
