// Peer-to-peer UDP messages (PROTOCOL.md §2): signed HELLO / HELLO_REPLY that prove who sits behind a
// UDP source, and DATA carrying one security-layer packet.
import { addressFromPublicKey, ADDRESS_LENGTH } from './address.js';
import { equalBytes } from './bytes.js';
import { sign, verify } from './crypto.js';
import type { Identity } from './identity.js';
import { defaultRandomFill, randomText, type RandomFill } from './random-text.js';
import { fail, ok, type Result } from './result.js';

export const P2P_HELLO_LENGTH = 145;
export const P2P_COOKIE_LENGTH = 16;
/** DATA is one kind byte in front of the security packet; senders can reserve it and fill in place. */
export const P2P_DATA_HEADER_LENGTH = 1;

const SENDER_AT = 1;
const PUBLIC_KEY_AT = SENDER_AT + ADDRESS_LENGTH;
const TARGET_AT = PUBLIC_KEY_AT + 32;
const COOKIE_AT = TARGET_AT + ADDRESS_LENGTH;
const SIGNATURE_AT = COOKIE_AT + P2P_COOKIE_LENGTH;

const codes = { hello: 0, helloReply: 1, data: 2 } as const;
export const P2P_DATA_KIND = codes.data;

export type PeerHelloKind = 'hello' | 'helloReply';

export interface PeerHello {
  kind: PeerHelloKind;
  sender: Uint8Array;
  publicKey: Uint8Array;
  /** The id the sender believes it is talking to ("yourId"). */
  target: Uint8Array;
  cookie: Uint8Array;
}

export type PeerMessage = PeerHello | { kind: 'data'; packet: Uint8Array };

/** A HELLO or HELLO_REPLY from `identity` to `target`, signed over its first 81 bytes. */
export function encodePeerHello(
  kind: PeerHelloKind,
  identity: Identity,
  target: Uint8Array,
  cookie: Uint8Array,
): Result<Uint8Array> {
  if (target.length !== ADDRESS_LENGTH) return fail('BadLength', 'A peer id is 16 bytes.');
  if (cookie.length !== P2P_COOKIE_LENGTH) return fail('BadCookie', 'A HELLO cookie is 16 bytes.');
  const out = new Uint8Array(P2P_HELLO_LENGTH);
  out[0] = codes[kind];
  out.set(identity.address, SENDER_AT);
  out.set(identity.publicKey, PUBLIC_KEY_AT);
  out.set(target, TARGET_AT);
  out.set(cookie, COOKIE_AT);
  out.set(sign('ng-p2p-msg', out.subarray(0, SIGNATURE_AT), identity.secretKey), SIGNATURE_AT);
  return ok(out);
}

export function encodePeerData(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(P2P_DATA_HEADER_LENGTH + packet.length);
  out[0] = P2P_DATA_KIND;
  out.set(packet, P2P_DATA_HEADER_LENGTH);
  return out;
}

/**
 * Decodes a datagram from a peer. A HELLO is returned only if its key derives to the sender id and
 * the signature holds; with `ownId`, also only if it is addressed to us. Whether DATA may be
 * accepted from this source is the caller's decision. Byte fields are views into `bytes`.
 */
export function decodePeerMessage(bytes: Uint8Array, ownId?: Uint8Array): Result<PeerMessage> {
  if (bytes.length === 0) return fail('Truncated', 'Empty datagram from a peer.');
  const code = bytes[0];
  if (code === codes.data) {
    if (bytes.length < P2P_DATA_HEADER_LENGTH + 1) return fail('Truncated', 'Peer DATA without a packet.');
    return ok({ kind: 'data', packet: bytes.subarray(P2P_DATA_HEADER_LENGTH) });
  }
  if (code !== codes.hello && code !== codes.helloReply)
    return fail('BadKind', `Unknown peer message kind ${code}.`);
  if (bytes.length !== P2P_HELLO_LENGTH)
    return fail(bytes.length < P2P_HELLO_LENGTH ? 'Truncated' : 'BadLength', 'A peer HELLO is 145 bytes.');
  const hello: PeerHello = {
    kind: code === codes.hello ? 'hello' : 'helloReply',
    sender: bytes.subarray(SENDER_AT, PUBLIC_KEY_AT),
    publicKey: bytes.subarray(PUBLIC_KEY_AT, TARGET_AT),
    target: bytes.subarray(TARGET_AT, COOKIE_AT),
    cookie: bytes.subarray(COOKIE_AT, SIGNATURE_AT),
  };
  if (ownId && !equalBytes(hello.target, ownId)) return fail('NotForUs', 'A HELLO meant for another device.');
  const derived = addressFromPublicKey(hello.publicKey);
  if (!derived) return fail('InvalidKey', 'The HELLO key does not qualify for an fc94 address.');
  if (!equalBytes(derived, hello.sender))
    return fail('AddressMismatch', 'The HELLO sender id is not the one its key derives to.');
  if (!verify('ng-p2p-msg', bytes.subarray(0, SIGNATURE_AT), bytes.subarray(SIGNATURE_AT), hello.publicKey))
    return fail('BadSignature', 'The HELLO signature does not hold.');
  return ok(hello);
}

/** 16 random lowercase ASCII letters, as stock peers send. */
export function generatePeerCookie(fill: RandomFill = defaultRandomFill): Uint8Array {
  return new TextEncoder().encode(randomText('abcdefghijklmnopqrstuvwxyz', P2P_COOKIE_LENGTH, fill));
}
