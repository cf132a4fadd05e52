// Messages between a peer and a base server (PROTOCOL.md §5), both directions. TCP framing lives in
// tcp-frame.ts and is re-exported here, since every user of these messages also frames them.
import { addressFromPublicKey, ADDRESS_LENGTH } from './address.js';
import { ByteReader, equalBytes } from './bytes.js';
import { sign, verify } from './crypto.js';
import {
  decodeEndpoints,
  encodeEndpoints,
  ENDPOINT_LENGTH,
  readEndpoint,
  type Endpoint,
} from './endpoint.js';
import type { Identity } from './identity.js';
import { fail, ok, type Result } from './result.js';

export {
  encodeFrame,
  FrameDecoder,
  FRAME_HEADER_LENGTH,
  MAX_FRAME_PAYLOAD,
  writeFrameHeader,
  type FramePush,
} from './tcp-frame.js';

export const COOKIE_LENGTH = 16;
const PUBLIC_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
/** Signed peer→base messages: kind ‖ sender id ‖ public key ‖ cookie ‖ body ‖ signature. */
const SIGNED_KEY_AT = 1 + ADDRESS_LENGTH;
const SIGNED_COOKIE_AT = SIGNED_KEY_AT + PUBLIC_KEY_LENGTH;
const SIGNED_HEADER_LENGTH = SIGNED_COOKIE_AT + COOKIE_LENGTH;
const COUNTER_LENGTH = 8;
/** STATE carries one to five base UDP endpoints. */
export const MAX_STATE_ENDPOINTS = 5;

export type PeerToBaseMessage =
  | { kind: 'requestInfo'; target: Uint8Array }
  /** The sender's local endpoints; stock clients include 127.0.0.1, see isUsableEndpoint. */
  | { kind: 'info'; endpoints: Endpoint[] }
  | { kind: 'natInit'; counter: bigint }
  | { kind: 'natOkConfirm'; counter: bigint }
  | { kind: 'natInitTransient'; counter: bigint }
  /** Unsigned: the base binds `source` to the authenticated connection or NAT_INIT source. */
  | { kind: 'data'; source: Uint8Array; target: Uint8Array; packet: Uint8Array }
  | { kind: 'userAgent'; userAgent: string };

export type PeerToBaseKind = PeerToBaseMessage['kind'];
export type UnsignedPeerToBaseMessage = Extract<PeerToBaseMessage, { kind: 'data' | 'userAgent' }>;
export type SignedPeerToBaseMessage = Exclude<PeerToBaseMessage, UnsignedPeerToBaseMessage>;

/** Who signed a message. Matching `cookie` against the connection's HELLO is the base's job. */
export interface Signer {
  id: Uint8Array;
  publicKey: Uint8Array;
  cookie: Uint8Array;
}

/** A verified message; signed kinds carry their signer (signature and address already checked). */
export type DecodedPeerToBase =
  (SignedPeerToBaseMessage & { signer: Signer }) | (UnsignedPeerToBaseMessage & { signer?: undefined });

export type BaseToPeerMessage =
  | { kind: 'hello'; cookie: Uint8Array }
  /** Never send an empty list: stock clients reject it. */
  | { kind: 'deviceAddresses'; id: Uint8Array; endpoints: Endpoint[] }
  | { kind: 'data'; source: Uint8Array; packet: Uint8Array }
  | { kind: 'natOk' }
  /** `endpoints[0]` is the address NAT_OK must come from. */
  | { kind: 'state'; endpoints: Endpoint[]; transientRange?: { low: number; high: number } | undefined }
  | { kind: 'redirect'; endpoint: Endpoint };

export type BaseToPeerKind = BaseToPeerMessage['kind'];

const peerToBaseCodes = {
  requestInfo: 0,
  data: 1,
  info: 2,
  natInit: 3,
  userAgent: 4,
  natOkConfirm: 5,
  natInitTransient: 6,
} as const satisfies Record<PeerToBaseKind, number>;

const baseToPeerCodes = {
  hello: 0,
  deviceAddresses: 1,
  data: 2,
  natOk: 3,
  state: 4,
  redirect: 5,
} as const satisfies Record<BaseToPeerKind, number>;

// DATA is the bulk of what a base relays, so the base handles it by offsets instead of decoding it:
// its kind numbers and layouts are exported for that.
export const PEER_TO_BASE_DATA_CODE = peerToBaseCodes.data;
export const BASE_TO_PEER_DATA_CODE = baseToPeerCodes.data;
/** Peer→base DATA: kind ‖ source id ‖ target id ‖ security packet. */
export const PEER_TO_BASE_DATA_SOURCE_AT = 1;
export const PEER_TO_BASE_DATA_TARGET_AT = PEER_TO_BASE_DATA_SOURCE_AT + ADDRESS_LENGTH;
export const PEER_TO_BASE_DATA_PACKET_AT = PEER_TO_BASE_DATA_TARGET_AT + ADDRESS_LENGTH;
/** The shortest peer→base DATA: a packet of at least one byte. */
export const MIN_PEER_TO_BASE_DATA_LENGTH = PEER_TO_BASE_DATA_PACKET_AT + 1;
/** Base→peer DATA: kind ‖ source id ‖ security packet. */
export const BASE_TO_PEER_DATA_SOURCE_AT = 1;
export const BASE_TO_PEER_DATA_PACKET_AT = BASE_TO_PEER_DATA_SOURCE_AT + ADDRESS_LENGTH;

/**
 * Where the cookie of a signed peer→base message would be, read before anything is verified (the
 * kind is not checked either): a base can drop a message naming no live connection without the
 * cost of a signature check. A view into `bytes`, or undefined when it is too short to hold one.
 */
export function peekSignedCookie(bytes: Uint8Array): Uint8Array | undefined {
  return bytes.length >= SIGNED_HEADER_LENGTH
    ? bytes.subarray(SIGNED_COOKIE_AT, SIGNED_HEADER_LENGTH)
    : undefined;
}

const peerToBaseKinds = invert(peerToBaseCodes);
const baseToPeerKinds = invert(baseToPeerCodes);

function invert<K extends string>(codes: Record<K, number>): (K | undefined)[] {
  const out: (K | undefined)[] = [];
  for (const [kind, code] of Object.entries(codes) as [K, number][]) out[code] = kind;
  return out;
}

function checkId(id: Uint8Array, what: string): Result<void> {
  return id.length === ADDRESS_LENGTH ? ok(undefined) : fail('BadLength', `${what} must be 16 bytes.`);
}

function counterBytes(counter: bigint): Uint8Array {
  const out = new Uint8Array(COUNTER_LENGTH);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, counter), true);
  return out;
}

function signedBody(msg: SignedPeerToBaseMessage): Result<Uint8Array> {
  switch (msg.kind) {
    case 'requestInfo': {
      const checked = checkId(msg.target, 'The requested device id');
      return checked.ok ? ok(msg.target) : checked;
    }
    case 'info':
      return encodeEndpoints(msg.endpoints);
    case 'natInit':
    case 'natOkConfirm':
    case 'natInitTransient':
      return ok(counterBytes(msg.counter));
  }
}

const userAgentPattern = /^[\x20-\x7e]*$/;
const asciiDecoder = new TextDecoder();

/**
 * Encodes a peer→base message. Signed kinds are signed with `identity` over `"ng-p2b-msg\n" ‖
 * everything before the signature` and carry `cookie`, the 16 bytes of this connection's HELLO;
 * DATA and USER_AGENT ignore both.
 */
export function encodePeerToBase(
  msg: PeerToBaseMessage,
  identity: Identity,
  cookie: Uint8Array,
): Result<Uint8Array> {
  const code = peerToBaseCodes[msg.kind];
  if (msg.kind === 'data') {
    const checked = checkDataIds(msg.source, msg.target);
    if (!checked.ok) return checked;
    const out = new Uint8Array(PEER_TO_BASE_DATA_PACKET_AT + msg.packet.length);
    out[0] = code;
    out.set(msg.source, PEER_TO_BASE_DATA_SOURCE_AT);
    out.set(msg.target, PEER_TO_BASE_DATA_TARGET_AT);
    out.set(msg.packet, PEER_TO_BASE_DATA_PACKET_AT);
    return ok(out);
  }
  if (msg.kind === 'userAgent') {
    if (!userAgentPattern.test(msg.userAgent)) return fail('BadFormat', 'A user agent is printable ASCII.');
    const text = new TextEncoder().encode(msg.userAgent);
    const out = new Uint8Array(1 + text.length);
    out[0] = code;
    out.set(text, 1);
    return ok(out);
  }
  if (cookie.length !== COOKIE_LENGTH) return fail('BadCookie', 'A base cookie is 16 bytes.');
  const body = signedBody(msg);
  if (!body.ok) return body;
  const unsignedLength = SIGNED_HEADER_LENGTH + body.value.length;
  const out = new Uint8Array(unsignedLength + SIGNATURE_LENGTH);
  out[0] = code;
  out.set(identity.address, 1);
  out.set(identity.publicKey, SIGNED_KEY_AT);
  out.set(cookie, SIGNED_COOKIE_AT);
  out.set(body.value, SIGNED_HEADER_LENGTH);
  out.set(sign('ng-p2b-msg', out.subarray(0, unsignedLength), identity.secretKey), unsignedLength);
  return ok(out);
}

function checkDataIds(source: Uint8Array, target: Uint8Array): Result<void> {
  const s = checkId(source, 'The source id');
  return s.ok ? checkId(target, 'The target id') : s;
}

function decodeSignedBody(
  kind: SignedPeerToBaseMessage['kind'],
  body: Uint8Array,
): Result<SignedPeerToBaseMessage> {
  switch (kind) {
    case 'requestInfo':
      return body.length === ADDRESS_LENGTH
        ? ok({ kind, target: body })
        : fail('BadLength', `REQUEST_INFO carries a 16-byte id, not ${body.length} bytes.`);
    case 'info': {
      const endpoints = decodeEndpoints(body);
      return endpoints.ok ? ok({ kind, endpoints: endpoints.value }) : endpoints;
    }
    case 'natInit':
    case 'natOkConfirm':
    case 'natInitTransient': {
      if (body.length !== COUNTER_LENGTH)
        return fail('BadLength', `A NAT message carries an 8-byte counter, not ${body.length} bytes.`);
      return ok({ kind, counter: new ByteReader(body).u64le()! });
    }
  }
}

/**
 * Decodes a peer→base message. Signed kinds are returned only when the public key derives to the
 * sender id and the signature holds. Byte fields are views into `bytes`.
 */
export function decodePeerToBase(bytes: Uint8Array): Result<DecodedPeerToBase> {
  if (bytes.length === 0) return fail('Truncated', 'Empty message from a peer.');
  const kind = peerToBaseKinds[bytes[0]!];
  if (kind === undefined) return fail('BadKind', `Unknown peer-to-base message kind ${bytes[0]}.`);
  if (kind === 'data') {
    if (bytes.length < MIN_PEER_TO_BASE_DATA_LENGTH)
      return fail('Truncated', 'DATA for the base is too short.');
    return ok({
      kind,
      source: bytes.subarray(PEER_TO_BASE_DATA_SOURCE_AT, PEER_TO_BASE_DATA_TARGET_AT),
      target: bytes.subarray(PEER_TO_BASE_DATA_TARGET_AT, PEER_TO_BASE_DATA_PACKET_AT),
      packet: bytes.subarray(PEER_TO_BASE_DATA_PACKET_AT),
    });
  }
  if (kind === 'userAgent') {
    const text = bytes.subarray(1);
    for (const byte of text)
      if (byte < 0x20 || byte > 0x7e) return fail('BadFormat', 'A user agent is printable ASCII.');
    return ok({ kind, userAgent: asciiDecoder.decode(text) });
  }
  if (bytes.length < SIGNED_HEADER_LENGTH + SIGNATURE_LENGTH)
    return fail('Truncated', 'A signed message to the base is too short.');
  const unsignedLength = bytes.length - SIGNATURE_LENGTH;
  const body = decodeSignedBody(kind, bytes.subarray(SIGNED_HEADER_LENGTH, unsignedLength));
  if (!body.ok) return body;
  const id = bytes.subarray(1, SIGNED_KEY_AT);
  const publicKey = bytes.subarray(SIGNED_KEY_AT, SIGNED_COOKIE_AT);
  const cookie = bytes.subarray(SIGNED_COOKIE_AT, SIGNED_HEADER_LENGTH);
  const derived = addressFromPublicKey(publicKey);
  if (!derived) return fail('InvalidKey', 'The sender key does not qualify for an fc94 address.');
  if (!equalBytes(derived, id))
    return fail('AddressMismatch', 'The sender id is not the one its key derives to.');
  if (!verify('ng-p2b-msg', bytes.subarray(0, unsignedLength), bytes.subarray(unsignedLength), publicKey))
    return fail('BadSignature', 'The signature of a message to the base does not hold.');
  return ok({ ...body.value, signer: { id, publicKey, cookie } });
}

function isPortNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}

/** Encodes a base→peer message; refuses shapes stock clients reject (empty DEVICE_ADDRESSES, …). */
export function encodeBaseToPeer(msg: BaseToPeerMessage): Result<Uint8Array> {
  const code = baseToPeerCodes[msg.kind];
  switch (msg.kind) {
    case 'hello':
      if (msg.cookie.length !== COOKIE_LENGTH) return fail('BadCookie', 'A base cookie is 16 bytes.');
      return ok(withCode(code, msg.cookie));
    case 'deviceAddresses': {
      const checked = checkId(msg.id, 'The device id');
      if (!checked.ok) return checked;
      if (msg.endpoints.length === 0)
        return fail(
          'BadFormat',
          'DEVICE_ADDRESSES must list at least one endpoint: stock clients reject an empty one.',
        );
      const endpoints = encodeEndpoints(msg.endpoints);
      return endpoints.ok ? ok(withCode(code, msg.id, endpoints.value)) : endpoints;
    }
    case 'data': {
      const checked = checkId(msg.source, 'The source id');
      return checked.ok ? ok(withCode(code, msg.source, msg.packet)) : checked;
    }
    case 'natOk':
      return ok(withCode(code));
    case 'state': {
      if (msg.endpoints.length < 1 || msg.endpoints.length > MAX_STATE_ENDPOINTS)
        return fail(
          'BadFormat',
          `STATE lists 1 to ${MAX_STATE_ENDPOINTS} endpoints, not ${msg.endpoints.length}.`,
        );
      const endpoints = encodeEndpoints(msg.endpoints);
      if (!endpoints.ok) return endpoints;
      if (!msg.transientRange) return ok(withCode(code, endpoints.value));
      const { low, high } = msg.transientRange;
      if (!isPortNumber(low) || !isPortNumber(high) || low > high)
        return fail('BadFormat', `${low}–${high} is not a port range.`);
      const range = new Uint8Array([low & 0xff, low >> 8, high & 0xff, high >> 8]);
      return ok(withCode(code, endpoints.value, range));
    }
    case 'redirect': {
      const endpoint = encodeEndpoints([msg.endpoint]);
      return endpoint.ok ? ok(withCode(code, endpoint.value)) : endpoint;
    }
  }
}

function withCode(code: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 1;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  out[0] = code;
  let at = 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes a base→peer message. Byte fields are views into `bytes`. */
export function decodeBaseToPeer(bytes: Uint8Array): Result<BaseToPeerMessage> {
  if (bytes.length === 0) return fail('Truncated', 'Empty message from the base.');
  const kind = baseToPeerKinds[bytes[0]!];
  if (kind === undefined) return fail('BadKind', `Unknown base-to-peer message kind ${bytes[0]}.`);
  const rest = bytes.subarray(1);
  switch (kind) {
    case 'hello':
      return rest.length === COOKIE_LENGTH
        ? ok({ kind, cookie: rest })
        : fail('BadLength', `HELLO from the base carries a 16-byte cookie, not ${rest.length} bytes.`);
    case 'deviceAddresses': {
      if (rest.length < ADDRESS_LENGTH) return fail('Truncated', 'DEVICE_ADDRESSES is too short.');
      const endpoints = decodeEndpoints(rest.subarray(ADDRESS_LENGTH));
      if (!endpoints.ok) return endpoints;
      return ok({ kind, id: rest.subarray(0, ADDRESS_LENGTH), endpoints: endpoints.value });
    }
    case 'data':
      if (bytes.length < BASE_TO_PEER_DATA_PACKET_AT + 1)
        return fail('Truncated', 'DATA from the base is too short.');
      return ok({
        kind,
        source: bytes.subarray(BASE_TO_PEER_DATA_SOURCE_AT, BASE_TO_PEER_DATA_PACKET_AT),
        packet: bytes.subarray(BASE_TO_PEER_DATA_PACKET_AT),
      });
    case 'natOk':
      return rest.length === 0 ? ok({ kind }) : fail('BadLength', 'NAT_OK is a single byte.');
    case 'state':
      return decodeState(rest);
    case 'redirect': {
      if (rest.length !== ENDPOINT_LENGTH) return fail('BadLength', 'REDIRECT carries one endpoint.');
      const endpoint = readEndpoint(new ByteReader(rest));
      return endpoint.ok ? ok({ kind, endpoint: endpoint.value }) : endpoint;
    }
  }
}

function decodeState(rest: Uint8Array): Result<BaseToPeerMessage> {
  // 18n bytes of endpoints, optionally followed by a 4-byte transient port range; 18n + 4 is never
  // a multiple of 18, so the two forms cannot be confused.
  const hasRange = rest.length % ENDPOINT_LENGTH === 4;
  const endpointBytes = hasRange ? rest.subarray(0, rest.length - 4) : rest;
  const count = endpointBytes.length / ENDPOINT_LENGTH;
  if (!Number.isInteger(count) || count < 1 || count > MAX_STATE_ENDPOINTS)
    return fail(
      'BadLength',
      `STATE must list 1 to ${MAX_STATE_ENDPOINTS} endpoints (${rest.length} bytes given).`,
    );
  const endpoints = decodeEndpoints(endpointBytes);
  if (!endpoints.ok) return endpoints;
  if (!hasRange) return ok({ kind: 'state', endpoints: endpoints.value });
  const reader = new ByteReader(rest.subarray(rest.length - 4));
  const low = reader.u16le()!;
  const high = reader.u16le()!;
  return ok({ kind: 'state', endpoints: endpoints.value, transientRange: { low, high } });
}
