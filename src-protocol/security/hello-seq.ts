// The process-wide handshake sequence number (PROTOCOL.md §3). Its high 32 bits are random per
// process (a boot id), the low 32 bits count completed handshakes. A hello #2 or #3 must echo the
// current value, so a replayed hello, or one from a handshake that another completed handshake has
// overtaken, is rejected. Share ONE instance between every session of a process, as stock does.
import { systemRandom, type FillRandom } from './random.js';

const BOOT_ID_MASK = 0xffff_ffff_0000_0000n;

export class HelloSeq {
  private current: bigint;

  constructor(random: FillRandom = systemRandom) {
    const bytes = new Uint8Array(8);
    random(bytes);
    this.current = new DataView(bytes.buffer).getBigUint64(0, true) & BOOT_ID_MASK;
  }

  get value(): bigint {
    return this.current;
  }

  /** Called once per completed handshake, with any peer. */
  advance(): void {
    this.current = BigInt.asUintN(64, this.current + 1n);
  }
}

/**
 * Whether `seq` is older than `newest` from the same peer process. Values from different boot ids
 * cannot be ordered (the peer restarted), so they never count as older.
 */
export function isOlderSeq(seq: bigint, newest: bigint): boolean {
  return (seq & BOOT_ID_MASK) === (newest & BOOT_ID_MASK) && seq < newest;
}
