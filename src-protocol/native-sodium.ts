// libsodium as native code, through sodium-native's prebuilt N-API addon: about 2.5 times the
// speed of the WebAssembly build on the data path and 3 times for signatures. Prebuilds exist for
// Linux x64/arm64, macOS, Windows and Android, not for 32-bit ARM Linux; there, or in a bundle
// shipped without its copy of the addon, loading throws and crypto.ts falls back to wasm-sodium.ts.
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CryptoBackend, KeyPair, KxRole, SessionKeys } from './crypto-backend.js';

/**
 * The part of sodium-native 5's addon used here: its binding, without the package's index.js.
 * index.js only checks arguments (with node:assert) before calling these, and loading it cost
 * hnetd about 9 ms of CPU at every start; the checks it made are made below instead, because the
 * addon itself checks no size (its asserts are compiled out). Each returns libsodium's status.
 * Typed arrays go straight in, views into caller buffers too; the verify call takes each array
 * as buffer, offset and length.
 */
interface SodiumBinding {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): number;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): number;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): number;
  crypto_sign_verify_detached(
    sig: ArrayBufferLike,
    sigOffset: number,
    sigLength: number,
    m: ArrayBufferLike,
    mOffset: number,
    mLength: number,
    pk: ArrayBufferLike,
    pkOffset: number,
    pkLength: number,
  ): boolean;
  crypto_kx_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): number;
  crypto_kx_client_session_keys(
    rx: Uint8Array,
    tx: Uint8Array,
    clientPk: Uint8Array,
    clientSk: Uint8Array,
    serverPk: Uint8Array,
  ): number;
  crypto_kx_server_session_keys(
    rx: Uint8Array,
    tx: Uint8Array,
    serverPk: Uint8Array,
    serverSk: Uint8Array,
    clientPk: Uint8Array,
  ): number;
}

const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;
const SIGN_SECRET_KEY_BYTES = 64;
const SEED_BYTES = 32;
const KX_KEY_BYTES = 32;
const MAC_BYTES = 16;
const NONCE_BYTES = 24;
const SECRETBOX_KEY_BYTES = 32;

interface SodiumNativePackage {
  binding: SodiumBinding;
  version: string;
}

/**
 * sodium-native is CommonJS that finds its addon at run time, and must not be loaded before it is
 * asked for (a failure has to stay catchable), so it is required, not imported. Run as an ES
 * module this file has no `require`: the package comes from node_modules. In the single-file
 * bundles (build-bundles.ts) the bundler supplies one, and only a literal `require()` call makes
 * it inline the binding there, loading the addon from beside the bundle. The programs bundled in
 * dist/ (scripts/bundle-programs.ts) are given Node's own, which finds node_modules as here.
 */
function requireSodiumNative(): SodiumNativePackage {
  if (typeof require === 'function') {
    loadBindingDirectly(require);
    /* eslint-disable @typescript-eslint/no-require-imports -- a bundle's require, see above */
    return {
      binding: require('sodium-native/binding.js') as SodiumBinding,
      version: (require('sodium-native/package.json') as { version: string }).version,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  const requireHere = createRequire(import.meta.url);
  loadBindingDirectly(requireHere);
  return {
    binding: requireHere('sodium-native/binding.js') as SodiumBinding,
    version: (requireHere('sodium-native/package.json') as { version: string }).version,
  };
}

/**
 * sodium-native's binding.js finds the addon through require-addon, which first loads a resolver of
 * several modules and reads package files: about 25 ms of CPU on a small machine at every start of
 * hnetd, on the way to its first packet. Where the package has a prebuilt addon for this platform
 * and architecture (the one that search finds, but on musl), it is loaded here and put in
 * binding.js's place in the module cache, so requiring binding.js returns it. Anything unexpected
 * (another layout, a bundler's require, an addon that does not load) leaves binding.js to search.
 */
function loadBindingDirectly(nodeRequire: NodeJS.Require): void {
  try {
    const binding = nodeRequire.resolve('sodium-native/binding.js');
    if (nodeRequire.cache[binding]) return;
    const host = `${process.platform}-${process.arch}`;
    const addon = join(dirname(binding), 'prebuilds', host, 'sodium-native.node');
    const entry = new Module(binding);
    entry.filename = binding;
    entry.exports = nodeRequire(addon);
    entry.loaded = true;
    nodeRequire.cache[binding] = entry;
  } catch {
    // No such addon, or it does not load: binding.js's own search finds another or says why not.
  }
}

/** Throws, naming the argument, unless `bytes` has `length` bytes: the addon would not check. */
function expectLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length)
    throw new RangeError(`${what} must have ${length} bytes, this one has ${bytes.length}`);
}

/** Throws with libsodium's status unless the call succeeded. */
function expectSuccess(what: string, status: number): void {
  if (status !== 0) throw new Error(`libsodium ${what} failed with status ${status}`);
}

/** Loads the addon for this platform; throws, saying why, when there is none. */
export function loadNativeSodium(): CryptoBackend {
  const { binding: sodium, version } = requireSodiumNative();
  // A bundle evaluates an inlined module once: asked again after its addon failed to load, it
  // returns the half-made exports instead of throwing again.
  if (typeof sodium.crypto_secretbox_easy !== 'function')
    throw new Error('sodium-native failed to load its addon earlier in this process.');
  const secretboxArguments = (box: Uint8Array, plain: Uint8Array, nonce: Uint8Array, key: Uint8Array) => {
    expectLength('a secretbox', box, plain.length + MAC_BYTES);
    expectLength('a secretbox nonce', nonce, NONCE_BYTES);
    expectLength('a secretbox key', key, SECRETBOX_KEY_BYTES);
  };
  return {
    name: 'native',
    description: `sodium-native ${version} (native libsodium)`,
    secretboxSeal(box, plain, nonce, key) {
      secretboxArguments(box, plain, nonce, key);
      expectSuccess('crypto_secretbox_easy', sodium.crypto_secretbox_easy(box, plain, nonce, key));
    },
    secretboxOpen(plain, box, nonce, key) {
      secretboxArguments(box, plain, nonce, key);
      return sodium.crypto_secretbox_open_easy(plain, box, nonce, key);
    },
    signKeyPair(seed) {
      expectLength('an Ed25519 seed', seed, SEED_BYTES);
      const pair = {
        publicKey: new Uint8Array(PUBLIC_KEY_BYTES),
        secretKey: new Uint8Array(SIGN_SECRET_KEY_BYTES),
      };
      expectSuccess(
        'crypto_sign_seed_keypair',
        sodium.crypto_sign_seed_keypair(pair.publicKey, pair.secretKey, seed),
      );
      return pair;
    },
    signDetached(message, secretKey) {
      expectLength('an Ed25519 secret key', secretKey, SIGN_SECRET_KEY_BYTES);
      const signature = new Uint8Array(SIGNATURE_BYTES);
      expectSuccess('crypto_sign_detached', sodium.crypto_sign_detached(signature, message, secretKey));
      return signature;
    },
    verifyDetached(signature, message, publicKey) {
      if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
      return sodium.crypto_sign_verify_detached(
        signature.buffer,
        signature.byteOffset,
        signature.byteLength,
        message.buffer,
        message.byteOffset,
        message.byteLength,
        publicKey.buffer,
        publicKey.byteOffset,
        publicKey.byteLength,
      );
    },
    kxKeyPair(seed) {
      expectLength('an X25519 seed', seed, SEED_BYTES);
      const pair = { publicKey: new Uint8Array(KX_KEY_BYTES), secretKey: new Uint8Array(KX_KEY_BYTES) };
      expectSuccess(
        'crypto_kx_seed_keypair',
        sodium.crypto_kx_seed_keypair(pair.publicKey, pair.secretKey, seed),
      );
      return pair;
    },
    kxSessionKeys: (role, own, peerPublicKey) => kxSessionKeys(sodium, role, own, peerPublicKey),
  };
}

function kxSessionKeys(
  sodium: SodiumBinding,
  role: KxRole,
  own: KeyPair,
  peerPublicKey: Uint8Array,
): SessionKeys | undefined {
  expectLength('an X25519 public key', own.publicKey, KX_KEY_BYTES);
  expectLength('an X25519 secret key', own.secretKey, KX_KEY_BYTES);
  if (peerPublicKey.length !== KX_KEY_BYTES) return undefined;
  const keys = { rx: new Uint8Array(KX_KEY_BYTES), tx: new Uint8Array(KX_KEY_BYTES) };
  const status =
    role === 'client'
      ? sodium.crypto_kx_client_session_keys(keys.rx, keys.tx, own.publicKey, own.secretKey, peerPublicKey)
      : sodium.crypto_kx_server_session_keys(keys.rx, keys.tx, own.publicKey, own.secretKey, peerPublicKey);
  // libsodium refuses a low-order point (an all-zero shared secret) with a non-zero status.
  return status === 0 ? keys : undefined;
}
