// How a page that lost its hnetd tells, before its browser sends the session cookie again, that what
// answers on the port now is that hnetd and not another local program which took the port meanwhile
// (it would be sent the cookie, the engine's rights). The page got a key derived from the token over
// its authenticated WebSocket; on reconnecting it asks `/alive` with a fresh nonce and no cookie, and
// only an hnetd that holds the token can answer with the nonce's MAC under that key.
import { createHmac } from 'node:crypto';

/** A nonce the page makes: 16 to 48 random bytes, base64url. */
export const nonceForm = /^[\w-]{22,64}$/;

/** The key the page keeps (the token itself never reaches script: it stays in an HttpOnly cookie). */
export const serverKeyFor = (token: string): string =>
  createHmac('sha256', token).update('hnet-ui-server-key').digest('base64url');

/** HMAC-SHA256 of the nonce, keyed with the key's UTF-8 bytes, base64url: src-renderer's check. */
export const proveServer = (serverKey: string, nonce: string): string =>
  createHmac('sha256', serverKey).update(nonce).digest('base64url');
