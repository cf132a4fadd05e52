// Who may use the browser-mode UI. The server listens on 127.0.0.1 only, but any web page the
// user visits can make the browser send requests there, and DNS rebinding can make such a page
// look same-origin. So every request must name our exact Host, any Origin must be ours, and
// everything past the first page needs the per-run token (carried in a cookie after the first
// visit, so it leaves the address bar and history).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface UiAccess {
  port: number;
  token: string;
}

export const newToken = (): string => randomBytes(32).toString('base64url');

/** Cookies are shared by every port of a host, so the name carries ours. */
export const cookieName = (port: number): string => `hnet-ui-${port}`;

const hostsFor = (port: number): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
export const originsFor = (port: number): string[] => hostsFor(port).map((host) => `http://${host}`);

export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieToken(headers: IncomingHttpHeaders, port: number): string | undefined {
  const name = cookieName(port);
  for (const part of (headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export type AccessVerdict = { ok: true } | { ok: false; status: 403 | 401; reason: string };

/** Host and Origin: the checks that stop other web pages and DNS rebinding. */
export function checkSite(
  headers: IncomingHttpHeaders,
  port: number,
  originRequired: boolean,
): AccessVerdict {
  if (!headers.host || !hostsFor(port).includes(headers.host.toLowerCase()))
    return { ok: false, status: 403, reason: `wrong Host header (expected 127.0.0.1:${port})` };
  const origin = headers.origin;
  if (origin === undefined ? originRequired : !originsFor(port).includes(origin))
    return { ok: false, status: 403, reason: 'request from another site' };
  return { ok: true };
}

export function checkCookie(headers: IncomingHttpHeaders, access: UiAccess): AccessVerdict {
  return tokenMatches(access.token, cookieToken(headers, access.port))
    ? { ok: true }
    : { ok: false, status: 401, reason: 'no valid token' };
}

export function sessionCookie(access: UiAccess): string {
  return `${cookieName(access.port)}=${access.token}; Path=/; HttpOnly; SameSite=Strict`;
}
