// Handshake hello #1/#2/#3: the signed offer of an X25519 key-exchange key (PROTOCOL.md §3).
//   number(1) ‖ Ed25519 pubkey(32) ‖ X25519 pubkey(32) ‖ target id(16) ‖ sender helloseq(u64 LE)
//   ‖ echoed receiver helloseq(u64 LE) ‖ sender flags(u64 LE) ‖ signature(64)
import type { Identity } from '../identity.js';
import { addressFromPublicKey } from '../address.js';
import { ByteReader, equalBytes } from '../bytes.js';
import { sign, verify } from '../crypto.js';
import { fail, ok, type Result } from '../result.js';

export const HELLO_LENGTH = 169;
const SIGNED_LENGTH = 105;

export type HelloNumber = 1 | 2 | 3;

export interface HandshakeHello {
  number: HelloNumber;
  /** The sender's Ed25519 identity key. */
  signingKey: Uint8Array;
  kxPublicKey: Uint8Array;
  /** The receiver's address. */
  target: Uint8Array;
  senderSeq: bigint;
  /** The receiver's helloseq this hello answers; 0 in hello #1. */
  echoedSeq: bigint;
  flags: bigint;
}

/** Builds and signs a hello from `identity`. */
export function encodeHello(
  hello: Omit<HandshakeHello, 'signingKey'>,
  identity: Pick<Identity, 'publicKey' | 'secretKey'>,
): Uint8Array {
  const out = new Uint8Array(HELLO_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = hello.number;
  out.set(identity.publicKey, 1);
  out.set(hello.kxPublicKey, 33);
  out.set(hello.target, 65);
  view.setBigUint64(81, hello.senderSeq, true);
  view.setBigUint64(89, hello.echoedSeq, true);
  view.setBigUint64(97, hello.flags, true);
  out.set(sign('ng-kx-pubkey', out.subarray(0, SIGNED_LENGTH), identity.secretKey), SIGNED_LENGTH);
  return out;
}

/**
 * Decodes a hello and checks everything a receiver must: addressed to `ownAddress`, sent by the key
 * that owns `peerAddress` (the already authenticated outer sender), and signed by that key.
 */
export function openHello(
  bytes: Uint8Array,
  ownAddress: Uint8Array,
  peerAddress: Uint8Array,
): Result<HandshakeHello> {
  if (bytes.length !== HELLO_LENGTH)
    return fail('BadLength', `A handshake hello is ${HELLO_LENGTH} bytes, this one is ${bytes.length}.`);
  const reader = new ByteReader(bytes);
  const number = reader.u8();
  const signingKey = reader.take(32);
  const kxPublicKey = reader.take(32);
  const target = reader.take(16);
  const senderSeq = reader.u64le();
  const echoedSeq = reader.u64le();
  const flags = reader.u64le();
  const signature = reader.take(64);
  if (
    signingKey === undefined ||
    kxPublicKey === undefined ||
    target === undefined ||
    senderSeq === undefined ||
    echoedSeq === undefined ||
    flags === undefined ||
    signature === undefined
  )
    return fail('Truncated', 'The handshake hello ended early.');
  if (number !== 1 && number !== 2 && number !== 3)
    return fail('BadKind', `${String(number)} is not a handshake hello number.`);
  if (!equalBytes(target, ownAddress))
    return fail('NotForUs', 'A handshake hello meant for another device arrived here.');
  const owner = addressFromPublicKey(signingKey);
  if (owner === undefined || !equalBytes(owner, peerAddress))
    return fail('AddressMismatch', "The handshake hello's key does not belong to the peer that sent it.");
  if (!verify('ng-kx-pubkey', bytes.subarray(0, SIGNED_LENGTH), signature, signingKey))
    return fail('BadSignature', 'The handshake hello has a forged or corrupted signature.');
  return ok({ number, signingKey, kxPublicKey, target, senderSeq, echoedSeq, flags });
}
