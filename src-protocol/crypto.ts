// The crypto primitives the protocol needs. They come from one of two builds of libsodium
// (docs/decisions.md): native code through sodium-native where its prebuilt addon loads, else
// WebAssembly through libsodium-wrappers. This module alone decides which; everything else calls
// through it. Call `initCrypto()` once before anything else in this library.
//
// HNET_CRYPTO_BACKEND=wasm forces the WebAssembly build; =native refuses to start without the
// native one (so a benchmark or CI run cannot fall back unnoticed).
import { createHash } from 'node:crypto';
import type { CryptoBackend, CryptoBackendName, KeyPair, KxRole, SessionKeys } from './crypto-backend.js';
import { loadNativeSodium } from './native-sodium.js';
import { loadWasmSodium } from './wasm-sodium.js';

export type { CryptoBackendName, KeyPair, KxRole, SessionKeys };

/**
 * libsodium-wrappers itself, whichever backend is in use: tests and benchmarks check results
 * against it as an independent reference. Library code calls the functions below instead.
 */
export { wasmSodium } from './wasm-sodium.js';

const BACKEND_VARIABLE = 'HNET_CRYPTO_BACKEND';

const loaded: Partial<Record<CryptoBackendName, CryptoBackend>> = {};
let active: CryptoBackend | undefined;
/** Why the native build is not in use although it was not refused, for logs. */
let nativeUnavailable: string | undefined;
let loading: Promise<void> | undefined;

export function initCrypto(): Promise<void> {
  loading ??= chooseBackend(process.env[BACKEND_VARIABLE]);
  return loading;
}

async function chooseBackend(wanted: string | undefined): Promise<void> {
  if (wanted !== undefined && wanted !== '' && wanted !== 'native' && wanted !== 'wasm')
    throw new Error(`${BACKEND_VARIABLE} is "${wanted}"; set it to native or wasm, or leave it unset.`);
  if (wanted !== 'wasm') {
    try {
      active = await load('native');
      return;
    } catch (error) {
      if (wanted === 'native')
        throw new Error(`${BACKEND_VARIABLE}=native, but sodium-native does not load here.`, {
          cause: error,
        });
      nativeUnavailable = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
  }
  active = await load('wasm');
}

/** Each build is set up once per process (the wasm one allocates its scratch memory). */
async function load(name: CryptoBackendName): Promise<CryptoBackend> {
  loaded[name] ??= name === 'native' ? loadNativeSodium() : await loadWasmSodium();
  return loaded[name];
}

/**
 * Switches this process to `name`, for tests and benchmarks that compare the two builds. Throws
 * when the native build does not load on this platform.
 */
export async function useCryptoBackend(name: CryptoBackendName): Promise<void> {
  await initCrypto();
  active = await load(name);
}

export interface CryptoBackendInfo {
  name: CryptoBackendName;
  /** Library and version, e.g. "sodium-native 5.1.0 (native libsodium)". */
  description: string;
  /** Set when the WebAssembly build stands in because the native one did not load. */
  nativeUnavailable?: string;
}

/** Which build is in use, for logs and benchmark output. */
export function cryptoBackendInfo(): CryptoBackendInfo {
  const { name, description } = backend();
  return name === 'wasm' && nativeUnavailable !== undefined
    ? { name, description, nativeUnavailable }
    : { name, description };
}

function backend(): CryptoBackend {
  if (!active) throw new Error('Call initCrypto() before using the crypto functions.');
  return active;
}

/** XSalsa20-Poly1305: MAC ‖ ciphertext of `plain` into `box`, exactly 16 bytes longer. */
export function secretboxSeal(box: Uint8Array, plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
  backend().secretboxSeal(box, plain, nonce, key);
}

/** Opens `box` into `plain`, exactly 16 bytes shorter; false when it fails authentication. */
export function secretboxOpen(
  plain: Uint8Array,
  box: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): boolean {
  return backend().secretboxOpen(plain, box, nonce, key);
}

/** The Ed25519 key pair of a 32-byte seed; the secret key in libsodium's form, seed ‖ public key. */
export function signKeyPair(seed: Uint8Array): KeyPair {
  return backend().signKeyPair(seed);
}

export function signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return backend().signDetached(message, secretKey);
}

/** False for a wrong signature, and for a signature or key of the wrong size or not on the curve. */
export function verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  return backend().verifyDetached(signature, message, publicKey);
}

/** An X25519 key pair for crypto_kx from a 32-byte seed. */
export function kxKeyPair(seed: Uint8Array): KeyPair {
  return backend().kxKeyPair(seed);
}

/** crypto_kx session keys; undefined when the peer's key is unusable (a low-order point). */
export function kxSessionKeys(
  role: KxRole,
  own: KeyPair,
  peerPublicKey: Uint8Array,
): SessionKeys | undefined {
  return backend().kxSessionKeys(role, own, peerPublicKey);
}

/**
 * The domain-separation prefixes of every signature: Husarnet's (PROTOCOL.md §1) and hnet's own
 * `hnet-websetup-join` (docs/protocol-extensions.md), so no signature can stand in for another kind.
 */
export type SignatureKind = 'ng-p2p-msg' | 'ng-kx-pubkey' | 'ng-p2b-msg' | 'hnet-websetup-join';

const prefixes: Record<SignatureKind, Uint8Array> = {
  'ng-p2p-msg': new TextEncoder().encode('ng-p2p-msg\n'),
  'ng-kx-pubkey': new TextEncoder().encode('ng-kx-pubkey\n'),
  'ng-p2b-msg': new TextEncoder().encode('ng-p2b-msg\n'),
  'hnet-websetup-join': new TextEncoder().encode('hnet-websetup-join\n'),
};

function prefixed(kind: SignatureKind, bytes: Uint8Array): Uint8Array {
  const prefix = prefixes[kind];
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

export function sign(kind: SignatureKind, bytes: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return signDetached(prefixed(kind, bytes), secretKey);
}

export function verify(
  kind: SignatureKind,
  bytes: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verifyDetached(signature, prefixed(kind, bytes), publicKey);
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
}
