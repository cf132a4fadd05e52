// For tests: whether a native addon carries the engine's packet code. Exports are not all of it
// (code linked in but not exported is still mapped into the process that loads it), so the file
// itself is searched for names only the data plane has: its classes, its batch receive call and
// its cipher library, as they appear in the built data-plane addon.
import { readFileSync } from 'node:fs';

const MARKERS = ['UdpSocket', 'DataLane', 'LaneCipher', 'LaneRouter', 'recvmmsg', 'libsodium'];
// Windows alone builds the TUN reader into the helper's addon, for the Wintun relay.
export const PACKET_CODE_MARKERS = process.platform === 'win32' ? MARKERS : [...MARKERS, 'TunReader'];

/** The markers found in the file at `path`. */
export function packetCodeIn(path: string | URL): string[] {
  const text = readFileSync(path).toString('latin1');
  return PACKET_CODE_MARKERS.filter((marker) => text.includes(marker));
}
