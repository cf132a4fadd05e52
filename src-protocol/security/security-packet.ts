// The first byte of a security packet says what it is (PROTOCOL.md §3). This sorts a received
// packet by kind and rejects sizes no valid packet of that kind can have, before any crypto runs.
import { fail, ok, type Result } from '../result.js';
import { DATA_OVERHEAD } from './data-packet.js';
import { HELLO_LENGTH, type HelloNumber } from './handshake-hello.js';
import { HEARTBEAT_LENGTH, HEARTBEAT_PING, HEARTBEAT_REPLY } from './heartbeat.js';

/** Stock peers drop anything this long or longer; so do we. */
export const MAX_SECURITY_PACKET = 2000;

export type SecurityPacket =
  | { kind: 'data' }
  | { kind: 'hello'; number: HelloNumber }
  | { kind: 'heartbeat-ping'; ident: Uint8Array }
  | { kind: 'heartbeat-reply'; ident: Uint8Array };

// Shared: data is the hot path, and this result carries nothing packet-specific.
const DATA = ok({ kind: 'data' } as const);

export function classifySecurityPacket(bytes: Uint8Array): Result<SecurityPacket> {
  if (bytes.length >= MAX_SECURITY_PACKET)
    return fail('TooLong', `Security packets must be shorter than ${MAX_SECURITY_PACKET} bytes.`);
  const kind = bytes[0];
  switch (kind) {
    case undefined:
      return fail('Truncated', 'The security packet is empty.');
    case 0:
      // Stock drops data without at least one payload byte; a sender of ours never makes one.
      if (bytes.length <= DATA_OVERHEAD)
        return fail('Truncated', 'The data packet is too short to hold a payload.');
      return DATA;
    case 1:
    case 2:
    case 3:
      if (bytes.length !== HELLO_LENGTH)
        return fail('BadLength', `A handshake hello is ${HELLO_LENGTH} bytes, this one is ${bytes.length}.`);
      return ok({ kind: 'hello', number: kind });
    case HEARTBEAT_PING:
    case HEARTBEAT_REPLY: {
      if (bytes.length !== HEARTBEAT_LENGTH)
        return fail('BadLength', `A heartbeat is ${HEARTBEAT_LENGTH} bytes, this one is ${bytes.length}.`);
      const ident = bytes.subarray(1, HEARTBEAT_LENGTH);
      return ok(
        kind === HEARTBEAT_PING ? { kind: 'heartbeat-ping', ident } : { kind: 'heartbeat-reply', ident },
      );
    }
    default:
      return fail('BadKind', `${kind} is not a security packet kind.`);
  }
}
