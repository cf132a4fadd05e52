// What the port mapper tells status: one of four states, and the sentence a person reads.
import { formatEndpoint, type Endpoint } from '../../../src-protocol/endpoint.js';
import { PROTOCOL_NAMES, type PortMapProtocol } from './mapping.js';

export type PortMappingState =
  | { state: 'off' }
  /** Started, and asking for the first time. */
  | { state: 'mapping' }
  | {
      state: 'mapped';
      protocol: PortMapProtocol;
      /** The router that maps: the default gateway. */
      gateway: string;
      internalPort: number;
      /** Where the Internet reaches our UDP port. */
      external: Endpoint;
      /** Wall-clock ms when the lease ends unless renewed (it is, at half time); null: until removed. */
      expiresAt: number | null;
      /** Wall-clock ms when the router made this mapping (again, after a restart). */
      since: number;
    }
  | { state: 'unmapped'; reason: string };

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
 * "not mapped: no router answered PCP, NAT-PMP or UPnP", or "off".
 */
export function describePortMapping(state: PortMappingState, now = Date.now()): string {
  switch (state.state) {
    case 'off':
      return 'off';
    case 'mapping':
      return 'asking the router for a port mapping';
    case 'unmapped':
      return `not mapped: ${state.reason}`;
    case 'mapped': {
      const left = state.expiresAt === null ? 'until removed' : `${timeLeft(state.expiresAt - now)} left`;
      return `mapped by ${PROTOCOL_NAMES[state.protocol]} on ${state.gateway}: ${formatEndpoint(state.external)}, ${left}`;
    }
  }
}
