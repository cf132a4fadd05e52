// One key epoch's data crypto: sealing under the tx key with its packet counter, opening under the
// rx key through its replay window (PROTOCOL.md §3). The session decides which epoch is current;
// the cipher owns the state every packet of that epoch touches. It is an interface because the
// engine may keep that state in its native data lane, which seals and opens packets of established
// sessions without entering JavaScript: counter and window must then be one, shared by both paths.
import { fail, type ProtocolError } from '../result.js';
import { DATA_OVERHEAD, openData, sealData, sealDataInto } from './data-packet.js';
import { NoncePool } from './nonce-pool.js';
import type { FillRandom } from './random.js';
import { ReplayWindow } from './replay-window.js';

/**
 * Where `seal` may write the data packet, so the engine can reserve room for its outer header in
 * front (`offset`) and send one buffer without another copy.
 */
export interface SealTarget {
  buffer: Uint8Array;
  offset: number;
}

export type OpenOutcome = { ok: true; payload: Uint8Array } | { ok: false; error: ProtocolError };

export interface DataCipher {
  /** Packets sealed under this epoch so far: the rekeying extension counts them. */
  readonly sent: number;
  /** Packets opened under this epoch so far: a change means the peer was heard. */
  readonly opened: number;
  /**
   * Seals a payload (1 to MAX_DATA_PAYLOAD bytes, checked by the caller) into `into` when it has
   * room, else into a new array; returns the packet.
   */
  seal(payload: Uint8Array, into?: SealTarget): Uint8Array;
  /** Opens a data packet into `into` (room for the payload); the payload is a view of `into`. */
  open(packet: Uint8Array, into: Uint8Array): OpenOutcome;
}

export interface EpochKeys {
  rx: Uint8Array;
  tx: Uint8Array;
  /** The replay-window extension: seq carries a real counter, checked on receipt. */
  counted: boolean;
}

export type DataCipherFactory = (keys: EpochKeys) => DataCipher;

export const replayedError = (verdict: string): ProtocolError =>
  fail('Replayed', `A data packet was refused by the replay window (${verdict}).`).error;

/** The JavaScript ciphers, sharing one nonce pool per session. */
export function softwareCiphers(random: FillRandom): DataCipherFactory {
  const nonces = new NoncePool(random);
  return (keys) => new SoftwareCipher(keys, nonces);
}

class SoftwareCipher implements DataCipher {
  sent = 0;
  opened = 0;
  private readonly window: ReplayWindow | undefined;

  constructor(
    private readonly keys: EpochKeys,
    private readonly nonces: NoncePool,
  ) {
    this.window = keys.counted ? new ReplayWindow() : undefined;
  }

  seal(payload: Uint8Array, into?: SealTarget): Uint8Array {
    this.sent += 1;
    const seq = this.window ? this.sent : 0;
    if (!into || into.buffer.length - into.offset < DATA_OVERHEAD + payload.length)
      return sealData(this.keys.tx, seq, payload, this.nonces);
    const length = sealDataInto(into.buffer, into.offset, this.keys.tx, seq, payload, this.nonces);
    return into.buffer.subarray(into.offset, into.offset + length);
  }

  open(packet: Uint8Array, into: Uint8Array): OpenOutcome {
    const opened = openData(packet, this.keys.rx, into);
    if (!opened.ok) return opened;
    if (this.window) {
      const verdict = this.window.check(opened.value.seq);
      if (verdict !== 'fresh') return { ok: false, error: replayedError(verdict) };
      this.window.commit(opened.value.seq);
    }
    this.opened += 1;
    return { ok: true, payload: opened.value.payload };
  }
}
