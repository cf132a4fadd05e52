// Random text tokens (peer cookies, join codes, websetup secrets) drawn from node:crypto, since
// libsodium's randombytes is slow per call (docs/decisions.md).
import { randomFillSync } from 'node:crypto';

/** Fills a buffer with random bytes; injectable so tests can fix the output. */
export type RandomFill = (bytes: Uint8Array) => void;

export const defaultRandomFill: RandomFill = (bytes) => {
  randomFillSync(bytes);
};

/**
 * `length` characters from `alphabet`, each equally likely: bytes at or above the largest multiple of
 * the alphabet size that fits in a byte are drawn again instead of folded in with a modulo bias.
 */
export function randomText(alphabet: string, length: number, fill: RandomFill = defaultRandomFill): string {
  const limit = 256 - (256 % alphabet.length);
  const pool = new Uint8Array(Math.max(16, length * 2));
  let text = '';
  while (text.length < length) {
    fill(pool);
    for (const byte of pool) {
      if (byte >= limit) continue;
      text += alphabet[byte % alphabet.length];
      if (text.length === length) break;
    }
  }
  return text;
}
