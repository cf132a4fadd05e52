// Direct access to libsodium's WebAssembly module for the data path. The high-level wrapper
// allocates, copies and frees on every call; here one scratch region is allocated once in the wasm
// heap and packets are copied in and out of it. Emscripten replaces `HEAPU8` when the wasm memory
// grows (the old ArrayBuffer is detached), so `heap()` must be read afresh at every use, never kept.
import { sodium } from '../crypto.js';

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

/** Room for the largest security packet's plaintext or ciphertext (< 2000 bytes). */
export const SCRATCH_BYTES = 2048;

export interface SodiumScratch {
  heap(): Uint8Array;
  readonly key: number;
  readonly nonce: number;
  readonly input: number;
  readonly output: number;
  secretboxEasy(output: number, input: number, length: number): number;
  secretboxOpenEasy(output: number, input: number, length: number): number;
}

let scratch: SodiumScratch | undefined;

/** The process's scratch region; call after `initCrypto()`. */
export function sodiumScratch(): SodiumScratch {
  scratch ??= allocateScratch();
  return scratch;
}

function allocateScratch(): SodiumScratch {
  const wasm = (sodium as unknown as { libsodium?: EmscriptenSodium }).libsodium;
  if (wasm?._crypto_secretbox_easy.length !== 6 || typeof wasm._malloc !== 'function')
    throw new Error(
      'This libsodium build does not expose the wasm API the data path needs; call initCrypto() first.',
    );
  const key = wasm._malloc(32 + 24 + 2 * SCRATCH_BYTES);
  if (key === 0) throw new Error('libsodium could not allocate its scratch memory.');
  const nonce = key + 32;
  const input = nonce + 24;
  const output = input + SCRATCH_BYTES;
  return {
    heap: () => wasm.HEAPU8,
    key,
    nonce,
    input,
    output,
    secretboxEasy: (out, inp, length) => wasm._crypto_secretbox_easy(out, inp, length, 0, nonce, key),
    secretboxOpenEasy: (out, inp, length) =>
      wasm._crypto_secretbox_open_easy(out, inp, length, 0, nonce, key),
  };
}
