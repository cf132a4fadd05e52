// What the port mapper tells status: one of four states, the status section built from it (the
// form `hnet status --json` and netcheck show), and the sentences a person reads.
import { formatEndpoint, type Endpoint } from '../../../../src-protocol/endpoint.js';
import { describePortMappingStatus, PROTOCOL_NAMES } from '../../../contract/port-mapping.js';
import type { PortMappingStatus, PortMapProtocol } from '../../../contract/status.js';

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

/** describePortMappingStatus, straight from the mapper's state. */
export const describePortMapping = (state: PortMappingState, now = Date.now()): string =>
  describePortMappingStatus(portMappingStatus(state), now);
