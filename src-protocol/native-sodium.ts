// libsodium as native code, through sodium-native's prebuilt N-API addon: about 2.5 times the
// speed of the WebAssembly build on the data path and 3 times for signatures. Prebuilds exist for
// Linux x64/arm64, macOS, Windows and Android, not for 32-bit ARM Linux; there, or in a bundle
// shipped without its copy of the addon, loading throws and crypto.ts falls back to wasm-sodium.ts.
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CryptoBackend, KeyPair, KxRole, SessionKeys } from './crypto-backend.js';

/**
 * The part of sodium-native 5 used here. It accepts any typed array (it checks
 * ArrayBuffer.isView), so views into caller buffers go straight in; @types/sodium-native, written
 * for 2.x, insists on Buffer.
 */
interface SodiumNative {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  crypto_kx_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_kx_client_session_keys(
    rx: Uint8Array,
    tx: Uint8Array,
    clientPk: Uint8Array,
    clientSk: Uint8Array,
    serverPk: Uint8Array,
  ): void;
  crypto_kx_server_session_keys(
    rx: Uint8Array,
    tx: Uint8Array,
    serverPk: Uint8Array,
    serverSk: Uint8Array,
    clientPk: Uint8Array,
  ): void;
}

const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;
const SIGN_SECRET_KEY_BYTES = 64;
const KX_KEY_BYTES = 32;

interface SodiumNativePackage {
  sodium: SodiumNative;
  version: string;
}

/**
 * sodium-native is CommonJS that finds its addon at run time, and must not be loaded before it is
 * asked for (a failure has to stay catchable), so it is required, not imported. Run as an ES
 * module this file has no `require`: the package comes from node_modules. In the single-file
 * bundles (build-bundles.ts) the bundler supplies one, and only a literal `require()` call makes
 * it inline the package there, with the addon loaded from beside the bundle. The programs bundled
 * in dist/ (scripts/bundle-programs.ts) are given Node's own, which finds node_modules as here.
 */
function requireSodiumNative(): SodiumNativePackage {
  if (typeof require === 'function') {
    loadBindingDirectly(require);
    /* eslint-disable @typescript-eslint/no-require-imports -- a bundle's require, see above */
    return {
      sodium: require('sodium-native') as SodiumNative,
      version: (require('sodium-native/package.json') as { version: string }).version,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  const requireHere = createRequire(import.meta.url);
  loadBindingDirectly(requireHere);
  return {
    sodium: requireHere('sodium-native') as SodiumNative,
    version: (requireHere('sodium-native/package.json') as { version: string }).version,
  };
}

/**
 * sodium-native's binding.js finds the addon through require-addon, which first loads a resolver of
 * several modules and reads package files: about 25 ms of CPU on a small machine at every start of
 * hnetd, on the way to its first packet. Where the package has a prebuilt addon for this platform
 * and architecture (the one that search finds, but on musl), it is loaded here and put in
 * binding.js's place in the module cache, so the package takes it from there. Anything unexpected
 * (another layout, a bundler's require, an addon that does not load) leaves the package to search.
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
    // No such addon, or it does not load: the package's own search finds another or says why not.
  }
}

/** Loads the addon for this platform; throws, saying why, when there is none. */
export function loadNativeSodium(): CryptoBackend {
  const { sodium, version } = requireSodiumNative();
  // A bundle evaluates an inlined package once: asked again after its addon failed to load, it
  // returns the half-made exports instead of throwing again.
  if (typeof sodium.crypto_secretbox_easy !== 'function')
    throw new Error('sodium-native failed to load its addon earlier in this process.');
  return {
    name: 'native',
    description: `sodium-native ${version} (native libsodium)`,
    secretboxSeal: (box, plain, nonce, key) => sodium.crypto_secretbox_easy(box, plain, nonce, key),
    secretboxOpen: (plain, box, nonce, key) => sodium.crypto_secretbox_open_easy(plain, box, nonce, key),
    signKeyPair(seed) {
      const pair = {
        publicKey: new Uint8Array(PUBLIC_KEY_BYTES),
        secretKey: new Uint8Array(SIGN_SECRET_KEY_BYTES),
      };
      sodium.crypto_sign_seed_keypair(pair.publicKey, pair.secretKey, seed);
      return pair;
    },
    signDetached(message, secretKey) {
      const signature = new Uint8Array(SIGNATURE_BYTES);
      sodium.crypto_sign_detached(signature, message, secretKey);
      return signature;
    },
    verifyDetached: (signature, message, publicKey) =>
      sodium.crypto_sign_verify_detached(signature, message, publicKey),
    kxKeyPair(seed) {
      const pair = { publicKey: new Uint8Array(KX_KEY_BYTES), secretKey: new Uint8Array(KX_KEY_BYTES) };
      sodium.crypto_kx_seed_keypair(pair.publicKey, pair.secretKey, seed);
      return pair;
    },
    kxSessionKeys: (role, own, peerPublicKey) => kxSessionKeys(sodium, role, own, peerPublicKey),
  };
}

function kxSessionKeys(
  sodium: SodiumNative,
  role: KxRole,
  own: KeyPair,
  peerPublicKey: Uint8Array,
): SessionKeys | undefined {
  const keys = { rx: new Uint8Array(KX_KEY_BYTES), tx: new Uint8Array(KX_KEY_BYTES) };
  try {
    if (role === 'client')
      sodium.crypto_kx_client_session_keys(keys.rx, keys.tx, own.publicKey, own.secretKey, peerPublicKey);
    else sodium.crypto_kx_server_session_keys(keys.rx, keys.tx, own.publicKey, own.secretKey, peerPublicKey);
  } catch {
    // sodium-native throws when libsodium refuses a low-order point (an all-zero shared secret).
    return undefined;
  }
  return keys;
}
