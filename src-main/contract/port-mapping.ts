// How a port mapping reads wherever it is shown (`hnet status`, `hnet netcheck`, the window): the
// router's protocol by its usual name, and what the mapping means now.
import type { PortMappingStatus, PortMapProtocol } from './status.js';

export const PROTOCOL_NAMES: Readonly<Record<PortMapProtocol, string>> = {
  pcp: 'PCP',
  'nat-pmp': 'NAT-PMP',
  upnp: 'UPnP',
};

function timeLeft(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours > 0) return `${hours}h${minutes}m`;
  if (minutes > 0) return `${minutes}m`;
  return `${seconds}s`;
}

/**
 * "mapped by PCP on 192.168.1.1: 203.0.113.5:41234, 1h12m left",
 * "not mapped: no router answered PCP, NAT-PMP or UPnP", or "off: <why>".
 */
export function describePortMappingStatus(status: PortMappingStatus, now = Date.now()): string {
  switch (status.state) {
    case 'off':
      return `off: ${status.reason}`;
    case 'mapping':
      return status.reason;
    case 'unmapped':
      return `not mapped: ${status.reason}`;
    case 'mapped': {
      const left =
        status.expires === null ? 'until removed' : `${timeLeft(Date.parse(status.expires) - now)} left`;
      const by = status.protocol ? PROTOCOL_NAMES[status.protocol] : 'the router';
      return `mapped by ${by} on ${status.gateway ?? 'the gateway'}: ${status.external ?? '?'}, ${left}`;
    }
  }
}
