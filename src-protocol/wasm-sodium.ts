// libsodium compiled to WebAssembly (libsodium-wrappers): runs on every platform, so it is the
// fallback where sodium-native has no prebuild. The wrapper's high-level functions allocate, copy
// and free on every call, too slow for the data path; secretbox therefore works in one scratch
// region allocated once in the wasm heap. Emscripten replaces `HEAPU8` when the wasm memory grows
// (the old ArrayBuffer is detached), so the heap is read afresh at every use, never kept.
import type LibsodiumWrappers from 'libsodium-wrappers';
import type { CryptoBackend, SessionKeys } from './crypto-backend.js';

type Sodium = typeof LibsodiumWrappers;

let module: Promise<Sodium> | undefined;

/**
 * libsodium-wrappers, loaded and ready, on first call only: loading it costs a process ~20 ms and
 * ~5 MB, which a process on the native build never needs to pay.
 */
export function wasmSodium(): Promise<Sodium> {
  module ??= import('libsodium-wrappers').then(async ({ default: sodium }) => {
    await sodium.ready;
    return sodium;
  });
  return module;
}

interface EmscriptenSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  // 64-bit lengths arrive split into low and high 32-bit halves (emscripten's i64 legalisation).
  _crypto_secretbox_easy(c: number, m: number, mLow: number, mHigh: number, n: number, k: number): number;
  _crypto_secretbox_open_easy(
    m: number,
    c: number,
    cLow: number,
    cHigh: number,
    n: number,
    k: number,
  ): number;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const MAC_BYTES = 16;
/** Room for the largest security packet's plaintext or ciphertext (< 2000 bytes). */
const SCRATCH_BYTES = 2048;

export async function loadWasmSodium(): Promise<CryptoBackend> {
  const sodium = await wasmSodium();
  const secretbox = scratchSecretbox(sodium);
  return {
    name: 'wasm',
    description: `libsodium-wrappers (WebAssembly libsodium ${sodium.sodium_version_string()})`,
    ...secretbox,
    signKeyPair(seed) {
      const pair = sodium.crypto_sign_seed_keypair(seed);
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    signDetached: (message, secretKey) => sodium.crypto_sign_detached(message, secretKey),
    verifyDetached(signature, message, publicKey) {
      try {
        return sodium.crypto_sign_verify_detached(signature, message, publicKey);
      } catch {
        // The wrapper throws on keys that are not valid curve points; to a caller that is a bad signature.
        return false;
      }
    },
    kxKeyPair(seed) {
      const pair = sodium.crypto_kx_seed_keypair(seed);
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    kxSessionKeys(role, own, peerPublicKey): SessionKeys | undefined {
      try {
        const shared =
          role === 'client'
            ? sodium.crypto_kx_client_session_keys(own.publicKey, own.secretKey, peerPublicKey)
            : sodium.crypto_kx_server_session_keys(own.publicKey, own.secretKey, peerPublicKey);
        return { rx: shared.sharedRx, tx: shared.sharedTx };
      } catch {
        // The wrapper throws when libsodium refuses a low-order point (an all-zero shared secret).
        return undefined;
      }
    },
  };
}

function scratchSecretbox(sodium: Sodium): Pick<CryptoBackend, 'secretboxSeal' | 'secretboxOpen'> {
  const wasm = (sodium as unknown as { libsodium?: EmscriptenSodium }).libsodium;
  if (wasm?._crypto_secretbox_easy.length !== 6 || typeof wasm._malloc !== 'function')
    throw new Error('This libsodium-wrappers build does not expose the wasm API the data path needs.');
  const key = wasm._malloc(KEY_BYTES + NONCE_BYTES + 2 * SCRATCH_BYTES);
  if (key === 0) throw new Error('libsodium could not allocate its scratch memory.');
  const nonce = key + KEY_BYTES;
  const input = nonce + NONCE_BYTES;
  const output = input + SCRATCH_BYTES;
  // Unlike the native library, a wrong length here would silently read or write past the scratch.
  const load = (boxLength: number, plainLength: number, n: Uint8Array, k: Uint8Array): Uint8Array => {
    if (
      boxLength !== plainLength + MAC_BYTES ||
      boxLength > SCRATCH_BYTES ||
      n.length !== NONCE_BYTES ||
      k.length !== KEY_BYTES
    )
      throw new RangeError('secretbox: wrong key, nonce or buffer length.');
    const heap = wasm.HEAPU8;
    heap.set(k, key);
    heap.set(n, nonce);
    return heap;
  };
  return {
    secretboxSeal(box, plain, n, k) {
      load(box.length, plain.length, n, k).set(plain, input);
      wasm._crypto_secretbox_easy(output, input, plain.length, 0, nonce, key);
      box.set(wasm.HEAPU8.subarray(output, output + box.length));
    },
    secretboxOpen(plain, box, n, k) {
      load(box.length, plain.length, n, k).set(box, input);
      if (wasm._crypto_secretbox_open_easy(output, input, box.length, 0, nonce, key) !== 0) return false;
      plain.set(wasm.HEAPU8.subarray(output, output + plain.length));
      return true;
    },
  };
}
