// Random 24-byte nonces for the data path, cut from one buffer refilled in blocks: a single
// randomFillSync per few hundred packets instead of a random call per packet.
import type { FillRandom } from './random.js';

export const NONCE_LENGTH = 24;

export class NoncePool {
  private readonly pool: Uint8Array;
  private at: number;

  constructor(
    private readonly random: FillRandom,
    noncesPerRefill = 256,
  ) {
    this.pool = new Uint8Array(NONCE_LENGTH * noncesPerRefill);
    this.at = this.pool.length;
  }

  /** A fresh nonce; the view is overwritten by a later refill, so copy it before the next call. */
  next(): Uint8Array {
    if (this.at === this.pool.length) {
      this.random(this.pool);
      this.at = 0;
    }
    const nonce = this.pool.subarray(this.at, this.at + NONCE_LENGTH);
    this.at += NONCE_LENGTH;
    return nonce;
  }
}
