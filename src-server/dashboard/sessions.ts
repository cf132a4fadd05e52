// Who is asking: a browser with a session cookie (HttpOnly, SameSite=Strict, and a CSRF token it
// must echo in a header for every change), or a program with an API token. Both tokens are random
// and stored only as hashes, so a copy of the database lets no one sign in.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hashSecret } from '../store/secret-hash.js';
import type { Store } from '../store/store.js';
import { cookies, HttpError } from './http-kit.js';

export const SESSION_COOKIE = 'hnet_session';
export const CSRF_HEADER = 'x-csrf-token';
const SESSION_MS = 7 * 24 * 3600_000;
/** Prefixed so leaked tokens are easy to find in logs and repositories. */
const API_TOKEN_PREFIX = 'hnet_';

export const newToken = (): string => randomBytes(32).toString('base64url');
export const newApiToken = (): string => API_TOKEN_PREFIX + newToken();

export interface Caller {
  accountId: string;
  /** Present for browser sessions: the value the UI must echo in X-CSRF-Token. */
  csrfToken?: string;
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export async function startSession(store: Store, accountId: string, secure: boolean) {
  const token = newToken();
  const csrfToken = newToken();
  await store.createSession(hashSecret(token), accountId, csrfToken, Date.now() + SESSION_MS);
  const cookie = `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}${secure ? '; Secure' : ''}`;
  return { cookie, csrfToken };
}

export async function endSession(store: Store, request: IncomingMessage): Promise<string> {
  const token = cookies(request).get(SESSION_COOKIE);
  if (token) await store.deleteSession(hashSecret(token));
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}

const changes = (method: string | undefined) => method !== 'GET' && method !== 'HEAD';

/** The caller, or undefined when the request carries no valid credentials. */
export async function identify(store: Store, request: IncomingMessage): Promise<Caller | undefined> {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) {
    const accountId = await store.accountForApiToken(hashSecret(authorization.slice(7).trim()));
    if (!accountId)
      throw new HttpError(
        401,
        'NotSignedIn',
        'The API token is not valid; create a new one in the dashboard.',
      );
    return { accountId };
  }
  const token = cookies(request).get(SESSION_COOKIE);
  if (!token) return undefined;
  const session = await store.session(hashSecret(token));
  if (!session) return undefined;
  if (changes(request.method)) {
    const echoed = request.headers[CSRF_HEADER];
    if (typeof echoed !== 'string' || !sameText(echoed, session.csrfToken))
      throw new HttpError(
        403,
        'BadCsrfToken',
        'The request lacks this session’s CSRF token; reload the page and try again.',
      );
  }
  return { accountId: session.accountId, csrfToken: session.csrfToken };
}
