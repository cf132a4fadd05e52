// What the three port-mapping protocols have in common: a mapping the router granted, the ways
// asking can fail, and the session each protocol keeps with one router for one port.
import type { Endpoint } from '../../../../src-protocol/endpoint.js';
import type { Result } from '../../../../src-protocol/result.js';
import type { PortMapProtocol } from '../../../contract/status.js';

/** A mapping a router granted: datagrams to `external` reach `internalPort` on this machine. */
export interface Mapping {
  protocol: PortMapProtocol;
  /** The router that granted it (the default gateway). */
  gateway: string;
  internalPort: number;
  external: Endpoint;
  /** Seconds from the answer; null for a UPnP mapping that lasts until deleted. */
  lifetimeSeconds: number | null;
  /** The router's epoch shows it restarted since its last answer: this answer made the mapping anew. */
  routerRestarted: boolean;
}

/**
 * - `NoAnswer`: nothing answered in time, or nothing listens (the router does not speak it).
 * - `Refused`: the router answered with an error code.
 * - `BadAnswer`: what came back was malformed or pointed somewhere it must not.
 * - `NoPublicAddress`: the router answered but has no usable external address.
 */
export type PortMapFailureKind = 'NoAnswer' | 'Refused' | 'BadAnswer' | 'NoPublicAddress';

export interface PortMapFailure {
  kind: PortMapFailureKind;
  message: string;
}

export type MapOutcome<T> = Result<T, PortMapFailure>;

export const mapped = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const notMapped = (
  kind: PortMapFailureKind,
  message: string,
): { ok: false; error: PortMapFailure } => ({
  ok: false,
  error: { kind, message },
});

/** What a session maps: one UDP port, through one gateway. */
export interface MappingTarget {
  gateway: string;
  internalPort: number;
  /** Seconds to ask for. */
  lifetimeSeconds: number;
  /** PCP's mapping nonce: 12 random bytes, the same for every session of one start. */
  nonce: Uint8Array;
}

/** One protocol's conversation with one router about one port. */
export interface MappingSession {
  readonly protocol: PortMapProtocol;
  /** Asks for the mapping, or renews the one it holds (keeping its external port if it can). */
  map(signal: AbortSignal): Promise<MapOutcome<Mapping>>;
  /** Deletes the mapping it holds, if any. Best effort: a router that is gone cannot be told. */
  unmap(signal: AbortSignal): Promise<void>;
}
