// Byte helpers shared by every codec. All multi-byte integers on the Husarnet wire are little-endian.
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Returns undefined for odd-length or non-hex input instead of silently truncating. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Unsigned lexicographic comparison, as used to pick the crypto_kx client role. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function u16le(value: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, true);
  return out;
}

export function u64le(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return out;
}

/**
 * A bounds-checked cursor over a received message. Every read checks the remaining length first,
 * so a decoder built on it cannot read out of bounds; `take` returns a view, not a copy.
 */
export class ByteReader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  get offset(): number {
    return this.at;
  }

  has(n: number): boolean {
    return this.remaining >= n;
  }

  u8(): number | undefined {
    if (!this.has(1)) return undefined;
    return this.bytes[this.at++];
  }

  u16le(): number | undefined {
    if (!this.has(2)) return undefined;
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u64le(): bigint | undefined {
    if (!this.has(8)) return undefined;
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }

  take(n: number): Uint8Array | undefined {
    if (n < 0 || !this.has(n)) return undefined;
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  rest(): Uint8Array {
    const v = this.bytes.subarray(this.at);
    this.at = this.bytes.length;
    return v;
  }
}
