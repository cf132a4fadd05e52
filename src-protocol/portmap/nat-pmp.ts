// NAT Port Mapping Protocol (RFC 6886): PCP's predecessor, still what many routers answer. Two
// requests matter to hnet: the router's external address (opcode 0) and a UDP mapping (opcode 1).
// Pure; big-endian; IPv4 only.
import { fail, ok, type Result } from '../result.js';

const VERSION = 0;
const OPCODE_ADDRESS = 0;
const OPCODE_MAP_UDP = 1;
const RESPONSE_BIT = 0x80;
const ADDRESS_RESPONSE_LENGTH = 12;
const MAP_RESPONSE_LENGTH = 16;
// Nothing in RFC 6886 is longer than 16 bytes; anything far beyond is not a NAT-PMP router talking.
const MAX_RESPONSE = 1100;

export const NAT_PMP_SUCCESS = 0;

const RESULTS: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized or refused',
  3: 'network failure (the router may have no public address yet)',
  4: 'out of resources',
  5: 'unsupported opcode',
};

export function natPmpResultText(code: number): string {
  return RESULTS[code] ?? `result code ${code}`;
}

export interface NatPmpMapRequest {
  internalPort: number;
  /** 0 for no preference; must be 0 when deleting. */
  suggestedExternalPort: number;
  /** Seconds; 0 deletes the mapping. */
  lifetime: number;
}

export type NatPmpResponse =
  | { opcode: 'address'; resultCode: number; epoch: number; externalIp: string }
  | {
      opcode: 'map';
      resultCode: number;
      epoch: number;
      internalPort: number;
      externalPort: number;
      lifetime: number;
    };

/** "What is your external address?": two bytes. */
export function encodeNatPmpAddressRequest(): Uint8Array {
  return Uint8Array.of(VERSION, OPCODE_ADDRESS);
}

export function encodeNatPmpMapRequest(request: NatPmpMapRequest): Result<Uint8Array> {
  const port = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
  if (!port(request.internalPort) || request.internalPort === 0)
    return fail('BadFormat', `${request.internalPort} is not a UDP port to map.`);
  if (!port(request.suggestedExternalPort))
    return fail('BadFormat', `${request.suggestedExternalPort} is not a port number.`);
  if (!Number.isInteger(request.lifetime) || request.lifetime < 0 || request.lifetime > 0xffffffff)
    return fail('BadFormat', `${request.lifetime} is not a NAT-PMP lifetime.`);
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = OPCODE_MAP_UDP;
  view.setUint16(4, request.internalPort);
  view.setUint16(6, request.suggestedExternalPort);
  view.setUint32(8, request.lifetime);
  return ok(out);
}

/**
 * Reads a response to either request. An error answer (non-zero result) needs only the first
 * 8 bytes, since RFC 6886 leaves the rest undefined then; a successful one must be complete.
 */
export function decodeNatPmpResponse(bytes: Uint8Array): Result<NatPmpResponse> {
  if (bytes.length > MAX_RESPONSE) return fail('TooLong', 'That is far longer than any NAT-PMP response.');
  if (bytes.length < 2) return fail('Truncated', 'A NAT-PMP response has at least 8 bytes.');
  if (bytes[0] !== VERSION)
    return fail('BadKind', `The router answered with protocol version ${bytes[0]}, not NAT-PMP (0).`);
  const op = bytes[1]!;
  if (op !== (RESPONSE_BIT | OPCODE_ADDRESS) && op !== (RESPONSE_BIT | OPCODE_MAP_UDP))
    return fail('BadKind', `NAT-PMP opcode ${op} is not an answer hnet asked for.`);
  if (bytes.length < 8) return fail('Truncated', 'A NAT-PMP response has at least 8 bytes.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const resultCode = view.getUint16(2);
  const epoch = view.getUint32(4);
  const isError = resultCode !== NAT_PMP_SUCCESS;
  if (op === (RESPONSE_BIT | OPCODE_ADDRESS)) {
    if (bytes.length < ADDRESS_RESPONSE_LENGTH) {
      if (!isError) return fail('Truncated', 'A NAT-PMP address response is 12 bytes.');
      return ok({ opcode: 'address', resultCode, epoch, externalIp: '0.0.0.0' });
    }
    const externalIp = `${bytes[8]}.${bytes[9]}.${bytes[10]}.${bytes[11]}`;
    return ok({ opcode: 'address', resultCode, epoch, externalIp });
  }
  if (bytes.length < MAP_RESPONSE_LENGTH) {
    if (!isError) return fail('Truncated', 'A NAT-PMP mapping response is 16 bytes.');
    return ok({ opcode: 'map', resultCode, epoch, internalPort: 0, externalPort: 0, lifetime: 0 });
  }
  return ok({
    opcode: 'map',
    resultCode,
    epoch,
    internalPort: view.getUint16(8),
    externalPort: view.getUint16(10),
    lifetime: view.getUint32(12),
  });
}
