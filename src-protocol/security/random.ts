// Randomness is injected into the security layer so tests can replay a session byte for byte.
// The default is node:crypto, never libsodium's randombytes_buf (≈45 µs a call, docs/decisions.md).
import { randomFillSync } from 'node:crypto';

export type FillRandom = (into: Uint8Array) => void;

export const systemRandom: FillRandom = (into) => {
  randomFillSync(into);
};
