// Port Control Protocol (RFC 6887), the MAP opcode for one UDP port: how hnet asks its home router
// to forward an external port to the engine's socket. Pure: bytes in, values out. All integers are
// big-endian; addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d (RFC 6887 §5).
import { formatIp, parseIp } from '../endpoint.js';
import { fail, ok, type Result } from '../result.js';

/** PCP and NAT-PMP share the router's UDP port. */
export const PCP_SERVER_PORT = 5351;
const PCP_VERSION = 2;
/** Every PCP message is at most 1100 bytes and a multiple of 4 (§7). */
export const PCP_MAX_MESSAGE = 1100;
export const PCP_NONCE_LENGTH = 12;

const OPCODE_MAP = 1;
const RESPONSE_BIT = 0x80;
const HEADER_LENGTH = 24;
const MAP_PAYLOAD_LENGTH = 36;
const MAP_MESSAGE_LENGTH = HEADER_LENGTH + MAP_PAYLOAD_LENGTH;
const IP_LENGTH = 16;
const UDP = 17;

/** Result codes of §7.4, with what each means for someone reading hnet's status. */
const RESULTS: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized',
  3: 'malformed request',
  4: 'unsupported opcode',
  5: 'unsupported option',
  6: 'malformed option',
  7: 'network failure',
  8: 'no resources',
  9: 'unsupported protocol',
  10: 'user exceeded quota',
  11: 'cannot provide the external address asked for',
  12: 'address mismatch (the router sees us at another address)',
  13: 'excessive remote peers',
};

export const PCP_SUCCESS = 0;

export function pcpResultText(code: number): string {
  return RESULTS[code] ?? `result code ${code}`;
}

export interface PcpMapRequest {
  /** Our own address as the router sees it: the source address of the request. */
  clientIp: string;
  /** Seconds; 0 deletes the mapping. */
  lifetime: number;
  /** 12 random bytes that identify this mapping across renewals and the delete. */
  nonce: Uint8Array;
  internalPort: number;
  /** 0 for no preference. */
  suggestedExternalPort: number;
  /** Unset for no preference (the all-zero address of the client's family). */
  suggestedExternalIp?: string;
}

export interface PcpMapResult {
  nonce: Uint8Array;
  protocol: number;
  internalPort: number;
  externalPort: number;
  externalIp: string;
}

export interface PcpResponse {
  opcode: number;
  resultCode: number;
  /** Seconds the mapping (or, on an error, the error) holds. */
  lifetime: number;
  /** Seconds since the router's PCP state began; going backwards means it lost its mappings. */
  epoch: number;
  /** Present for MAP responses that carry the opcode's payload (always on success). */
  map?: PcpMapResult;
}

const isPort = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function unspecifiedLike(clientIp: Uint8Array): Uint8Array {
  const zero = new Uint8Array(IP_LENGTH);
  // ::ffff:0.0.0.0 for an IPv4 client, :: for IPv6 (§11.1).
  if (clientIp[10] === 0xff && clientIp[11] === 0xff && clientIp.subarray(0, 10).every((b) => b === 0)) {
    zero[10] = 0xff;
    zero[11] = 0xff;
  }
  return zero;
}

export function encodePcpMapRequest(request: PcpMapRequest): Result<Uint8Array> {
  const clientIp = parseIp(request.clientIp);
  if (!clientIp) return fail('BadFormat', `"${request.clientIp}" is not an IP address.`);
  if (!isU32(request.lifetime)) return fail('BadFormat', `${request.lifetime} is not a PCP lifetime.`);
  if (request.nonce.length !== PCP_NONCE_LENGTH) return fail('BadFormat', 'A PCP nonce is 12 bytes.');
  if (!isPort(request.internalPort) || request.internalPort === 0)
    return fail('BadFormat', `${request.internalPort} is not a UDP port to map.`);
  if (!isPort(request.suggestedExternalPort))
    return fail('BadFormat', `${request.suggestedExternalPort} is not a port number.`);
  const suggestedIp =
    request.suggestedExternalIp === undefined
      ? unspecifiedLike(clientIp)
      : parseIp(request.suggestedExternalIp);
  if (!suggestedIp) return fail('BadFormat', `"${request.suggestedExternalIp}" is not an IP address.`);

  const out = new Uint8Array(MAP_MESSAGE_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = PCP_VERSION;
  out[1] = OPCODE_MAP;
  view.setUint32(4, request.lifetime);
  out.set(clientIp, 8);
  out.set(request.nonce, HEADER_LENGTH);
  out[HEADER_LENGTH + 12] = UDP;
  view.setUint16(HEADER_LENGTH + 16, request.internalPort);
  view.setUint16(HEADER_LENGTH + 18, request.suggestedExternalPort);
  out.set(suggestedIp, HEADER_LENGTH + 20);
  return ok(out);
}

/**
 * Reads a PCP response. A NAT-PMP-only router answers a PCP request with a version 0 packet: that
 * comes back as `BadKind`, so the caller can move on to NAT-PMP at once instead of waiting.
 */
export function decodePcpResponse(bytes: Uint8Array): Result<PcpResponse> {
  if (bytes.length > PCP_MAX_MESSAGE)
    return fail('TooLong', `A PCP message is at most ${PCP_MAX_MESSAGE} bytes.`);
  if (bytes.length < 2) return fail('Truncated', 'A PCP response starts with a 24-byte header.');
  if (bytes[0] !== PCP_VERSION)
    return fail('BadKind', `The router answered with protocol version ${bytes[0]}, not PCP (2).`);
  if ((bytes[1]! & RESPONSE_BIT) === 0) return fail('BadKind', 'That is a PCP request, not a response.');
  if (bytes.length < HEADER_LENGTH) return fail('Truncated', 'A PCP response starts with a 24-byte header.');
  if (bytes.length % 4 !== 0) return fail('BadLength', 'A PCP message is a multiple of 4 bytes.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const response: PcpResponse = {
    opcode: bytes[1]! & ~RESPONSE_BIT,
    resultCode: bytes[3]!,
    lifetime: view.getUint32(4),
    epoch: view.getUint32(8),
  };
  if (response.opcode !== OPCODE_MAP) return ok(response);
  if (bytes.length < MAP_MESSAGE_LENGTH) {
    if (response.resultCode === PCP_SUCCESS)
      return fail('Truncated', 'A successful PCP MAP response carries 36 bytes of mapping.');
    return ok(response);
  }
  const at = HEADER_LENGTH;
  response.map = {
    nonce: bytes.slice(at, at + PCP_NONCE_LENGTH),
    protocol: bytes[at + 12]!,
    internalPort: view.getUint16(at + 16),
    externalPort: view.getUint16(at + 18),
    externalIp: formatIp(bytes.subarray(at + 20, at + 20 + IP_LENGTH)),
  };
  return ok(response);
}

/**
 * Whether a MAP response answers this request: same nonce, UDP, same internal port. An error
 * response too short to carry the mapping (a router that could not parse ours) answers any request.
 */
export function answersPcpMapRequest(response: PcpResponse, request: PcpMapRequest): boolean {
  if (response.opcode !== OPCODE_MAP) return false;
  const map = response.map;
  if (!map) return response.resultCode !== PCP_SUCCESS;
  if (map.protocol !== UDP || map.internalPort !== request.internalPort) return false;
  return map.nonce.every((byte, i) => byte === request.nonce[i]);
}
