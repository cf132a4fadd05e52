// The crypto primitives the protocol needs, over libsodium-wrappers (see docs/decisions.md).
// Call `initCrypto()` once before anything else in this library.
import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers';

let initialised = false;

export async function initCrypto(): Promise<void> {
  if (initialised) return;
  await sodium.ready;
  initialised = true;
}

export { sodium };

/** The domain-separation prefixes of every Husarnet signature (PROTOCOL.md §1). */
export type SignatureKind = 'ng-p2p-msg' | 'ng-kx-pubkey' | 'ng-p2b-msg';

const prefixes: Record<SignatureKind, Uint8Array> = {
  'ng-p2p-msg': new TextEncoder().encode('ng-p2p-msg\n'),
  'ng-kx-pubkey': new TextEncoder().encode('ng-kx-pubkey\n'),
  'ng-p2b-msg': new TextEncoder().encode('ng-p2b-msg\n'),
};

function prefixed(kind: SignatureKind, bytes: Uint8Array): Uint8Array {
  const prefix = prefixes[kind];
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

export function sign(kind: SignatureKind, bytes: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(prefixed(kind, bytes), secretKey);
}

export function verify(
  kind: SignatureKind,
  bytes: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, prefixed(kind, bytes), publicKey);
  } catch {
    // libsodium throws on keys that are not valid curve points; to a caller that is a bad signature.
    return false;
  }
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
}
