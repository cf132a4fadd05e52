// Who sent a signed message: the signature and address are checked by the decoder; here the cookie
// must be the one of the connection it claims, and a connection stays bound to one device.
import type { Signer } from '../../src-protocol/base-messages.js';
import { equalBytes } from '../../src-protocol/bytes.js';
import type { ProtocolErrorKind } from '../../src-protocol/result.js';
import type { ClientRegistry } from './client-registry.js';
import { idKey, type ClientConnection, type Device } from './connection.js';
import type { BaseMetrics, DropReason } from './metrics.js';

/** How a decoding failure is counted. */
export function dropReasonFor(kind: ProtocolErrorKind): DropReason {
  switch (kind) {
    case 'BadKind':
      return 'unknown_kind';
    case 'BadSignature':
    case 'InvalidKey':
    case 'AddressMismatch':
      return 'bad_signature';
    default:
      return 'malformed';
  }
}

export class Authenticator {
  constructor(
    private readonly registry: ClientRegistry,
    private readonly metrics: BaseMetrics,
    /** Told of each connection that proved who it is. */
    private readonly authenticated: (device: Device) => void = () => {},
  ) {}

  /**
   * The device behind a verified signed message that arrived for `connection`, or undefined (and
   * counted) when the cookie is another connection's or the connection belongs to another device.
   * The first valid message authenticates the connection.
   */
  deviceFor(connection: ClientConnection, signer: Signer): Device | undefined {
    if (!equalBytes(signer.cookie, connection.cookie)) {
      this.metrics.drop('bad_cookie');
      return undefined;
    }
    const current = connection.device;
    if (current) {
      if (current.key === idKey(signer.id)) return current;
      this.metrics.drop('forged_sender');
      return undefined;
    }
    const { device, displaced } = this.registry.authenticate(connection, signer.id, signer.publicKey);
    displaced?.close('replaced');
    this.authenticated(device);
    return device;
  }
}
