// Sliding anti-replay window over packet counters (RFC 6479): a ring of 32-bit words holding one
// bit per recent counter, plus one spare word so sliding forward clears whole words at a time.
// Check before trusting a packet, commit only after its MAC verified, so forgeries cannot move it.
const WORD_BITS = 32;

export type ReplayVerdict = 'fresh' | 'replayed' | 'too-old' | 'invalid';

export class ReplayWindow {
  private readonly words: Uint32Array;
  private newest = 0;

  /** `size` counters behind the newest are still accepted once each; a multiple of 32. */
  constructor(readonly size = 2048) {
    this.words = new Uint32Array(size / WORD_BITS + 1);
  }

  check(counter: number): ReplayVerdict {
    if (!Number.isSafeInteger(counter) || counter < 1) return 'invalid';
    if (counter > this.newest) return 'fresh';
    if (this.newest - counter >= this.size) return 'too-old';
    return this.bit(counter) ? 'replayed' : 'fresh';
  }

  /** Records a counter that `check` called fresh and whose packet authenticated. */
  commit(counter: number): void {
    if (counter > this.newest) {
      const newestWord = Math.floor(this.newest / WORD_BITS);
      const counterWord = Math.floor(counter / WORD_BITS);
      const toClear = Math.min(counterWord - newestWord, this.words.length);
      for (let i = 1; i <= toClear; i++) this.words[(newestWord + i) % this.words.length] = 0;
      this.newest = counter;
    }
    const index = Math.floor(counter / WORD_BITS) % this.words.length;
    this.words[index] = this.words[index]! | (1 << (counter % WORD_BITS));
  }

  private bit(counter: number): boolean {
    const word = this.words[Math.floor(counter / WORD_BITS) % this.words.length]!;
    return ((word >>> (counter % WORD_BITS)) & 1) === 1;
  }
}
