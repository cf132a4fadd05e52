// The Ed25519 key an hnet server signs its license with (PROTOCOL.md §7), as the server publishes it
// and as users compare it: an hnet extension, since stock clients only trust Husarnet's own keys.
import { sha256 } from './crypto.js';

export const LICENSE_PATH = '/license.json';
/** Serves the key as base64 of its 32 bytes, as text. */
export const LICENSE_KEY_PATH = '/license.key';

/** SHA-256 of the key in 16 groups of 4 hex digits, easy to read aloud and compare. */
export function keyFingerprint(publicKey: Uint8Array): string {
  const hex = Buffer.from(sha256(publicKey)).toString('hex');
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}

/** The same fingerprint however a user typed it: case, spaces and colons do not matter. */
export function normaliseFingerprint(text: string): string {
  const hex = text.toLowerCase().replace(/[\s:]/g, '');
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}

export function encodeLicenseKey(publicKey: Uint8Array): string {
  return `${Buffer.from(publicKey).toString('base64')}\n`;
}

export function decodeLicenseKey(text: string): Uint8Array | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === 32 ? new Uint8Array(key) : undefined;
}
