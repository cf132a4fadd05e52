// What the port mapper tells status: one of four states, the status section built from it (the
// form `hnet status --json` and netcheck show), and the sentences a person reads.
import { formatEndpoint, type Endpoint } from '../../../../src-protocol/endpoint.js';
import type { PortMappingStatus } from '../../../contract/status.js';
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
 * The status section for `state`; `offReason` says why it is off. Only what changes when the
 * mapping does is in it (not the time left), so a renewal or a passing second is no status change.
 */
export function portMappingStatus(state: PortMappingState, offReason = 'not started'): PortMappingStatus {
  const none = { protocol: null, gateway: null, external: null, expires: null };
  switch (state.state) {
    case 'off':
      return { state: 'off', ...none, reason: offReason };
    case 'mapping':
      return { state: 'mapping', ...none, reason: 'asking the router for a port mapping' };
    case 'unmapped':
      return { state: 'unmapped', ...none, reason: state.reason };
    case 'mapped':
      return {
        state: 'mapped',
        protocol: state.protocol,
        gateway: state.gateway,
        external: formatEndpoint(state.external),
        expires: state.expiresAt === null ? null : new Date(state.expiresAt).toISOString(),
        reason: `${mappedBy(state)}: the base and peers are told of its external endpoint`,
      };
  }
}

/** "port mapped by PCP on 192.168.1.1", what a direct path's reason adds while we hold a mapping. */
export function mappedBy(state: PortMappingState): string | undefined {
  return state.state === 'mapped'
    ? `port mapped by ${PROTOCOL_NAMES[state.protocol]} on ${state.gateway}`
    : undefined;
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

/** describePortMappingStatus, straight from the mapper's state. */
export const describePortMapping = (state: PortMappingState, now = Date.now()): string =>
  describePortMappingStatus(portMappingStatus(state), now);
