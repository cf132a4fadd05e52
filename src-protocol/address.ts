// fc94::/16 addresses: derivation from an Ed25519 public key, text forms (PROTOCOL.md §1).
import { sha256 } from './crypto.js';

export const ADDRESS_LENGTH = 16;

/**
 * The address a public key owns, or undefined when the key does not qualify
 * (SHA-256(pubkey) must start with 0x00 and then a byte below 50).
 */
export function addressFromPublicKey(publicKey: Uint8Array): Uint8Array | undefined {
  if (publicKey.length !== 32) return undefined;
  const h = sha256(publicKey);
  if (h[0] !== 0x00 || h[1]! >= 50) return undefined;
  const address = new Uint8Array(ADDRESS_LENGTH);
  address[0] = 0xfc;
  address[1] = 0x94;
  address.set(h.subarray(3, 17), 2);
  return address;
}

export function isOverlayAddress(address: Uint8Array): boolean {
  return address.length === ADDRESS_LENGTH && address[0] === 0xfc && address[1] === 0x94;
}

/** Full eight-group form, as Husarnet prints it: `fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239`. */
export function formatAddress(address: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push(((address[i]! << 8) | address[i + 1]!).toString(16).padStart(4, '0'));
  return groups.join(':');
}

/** Parses any IPv6 text form (compressed, or with an embedded IPv4 tail); undefined if invalid. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let body = text.trim();
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
  if (body.length === 0 || body.length > 45 || body.includes('%')) return undefined;
  const words: number[] = [];
  const tail4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(body);
  if (tail4) {
    const octets = tail4[2]!.split('.').map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    body = `${tail4[1]}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    words.push(...head, ...new Array<number>(missing).fill(0), ...tail);
  } else {
    if (head.length !== 8) return undefined;
    words.push(...head);
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** An overlay address from text, or undefined if it is not valid IPv6 inside fc94::/16. */
export function parseOverlayAddress(text: string): Uint8Array | undefined {
  const bytes = parseIpv6(text);
  return bytes && isOverlayAddress(bytes) ? bytes : undefined;
}
