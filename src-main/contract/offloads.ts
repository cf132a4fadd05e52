// The kernel offloads in use, in the words `hnet status` and the window use.
import type { OffloadStatus } from './status.js';

const NAMES: Record<keyof OffloadStatus, string> = {
  tcpSegments: 'TSO',
  udpSegments: 'USO',
  udpSend: 'UDP GSO',
  udpReceive: 'UDP GRO',
};

/** E.g. "on: TSO, UDP GSO, UDP GRO; off: USO (not offered here)". */
export function describeOffloads(offloads: OffloadStatus): string {
  const keys = Object.keys(NAMES) as (keyof OffloadStatus)[];
  const on = keys.filter((key) => offloads[key]).map((key) => NAMES[key]);
  const off = keys.filter((key) => !offloads[key]).map((key) => NAMES[key]);
  if (on.length === 0) return 'none: every packet moves on its own (the kernel or device offers none)';
  return off.length === 0
    ? `on: ${on.join(', ')}`
    : `on: ${on.join(', ')}; off: ${off.join(', ')} (not offered here)`;
}
