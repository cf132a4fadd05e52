// What a build of libsodium must provide for hnet. Two builds implement it (docs/decisions.md):
// native-sodium.ts and wasm-sodium.ts; crypto.ts picks one per process. Both give the same bytes
// for the same inputs, which crypto-backends.test.ts checks.

/** `native`: sodium-native's prebuilt addon. `wasm`: libsodium-wrappers, which runs everywhere. */
export type CryptoBackendName = 'native' | 'wasm';

export interface KeyPair {
  publicKey: Uint8Array;
  /** For Ed25519 libsodium's 64-byte form, seed ‖ public key; for X25519 the 32-byte scalar. */
  secretKey: Uint8Array;
}

/** Keys for one direction each, from the key exchange. */
export interface SessionKeys {
  rx: Uint8Array;
  tx: Uint8Array;
}

/** Which side of libsodium's crypto_kx a peer plays; the two sides get mirrored keys. */
export type KxRole = 'client' | 'server';

export interface CryptoBackend {
  readonly name: CryptoBackendName;
  /** The library and its version, for logs and benchmark output. */
  readonly description: string;
  /**
   * crypto_secretbox_easy (XSalsa20-Poly1305): writes MAC ‖ ciphertext of `plain` into `box`, which
   * is exactly 16 bytes longer. Writes nothing else, so `box` may be a view into a larger packet.
   */
  secretboxSeal(box: Uint8Array, plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
  /** The reverse, into `plain` (exactly 16 bytes shorter than `box`); false if the MAC fails. */
  secretboxOpen(plain: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean;
  /** Ed25519 key pair from a 32-byte seed. */
  signKeyPair(seed: Uint8Array): KeyPair;
  /** Ed25519 detached signature (deterministic: the same bytes from every build). */
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** Takes a 64-byte signature and a 32-byte key; false also for a key that is not a curve point. */
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** X25519 key pair for crypto_kx from a 32-byte seed. */
  kxKeyPair(seed: Uint8Array): KeyPair;
  /** crypto_kx session keys; undefined when the peer's key is a low-order point. */
  kxSessionKeys(role: KxRole, own: KeyPair, peerPublicKey: Uint8Array): SessionKeys | undefined;
}
