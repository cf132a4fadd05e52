// The dashboard's REST API. The web UI uses exactly these calls, so everything it can do, a script
// with an API token can do too. Every answer is JSON; a failure is `{ error: { kind, message } }`.
import type { IncomingMessage } from 'node:http';
import { canonicalAddress } from '../../src-main/contract/names.js';
import { DEVICE_NAME_RULE } from '../../src-shared/hostname.js';
import { formatJoinCode, generateJoinCode } from '../../src-protocol/websetup-messages.js';
import { hashSecret } from '../store/secret-hash.js';
import type { Account, Store, StoreResult } from '../store/store.js';
import { HttpError, readJson } from './http-kit.js';
import type { LoginLimiter } from './login-limiter.js';
import {
  decoyHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './passwords.js';
import { endSession, identify, newApiToken, sameText, startSession, type Caller } from './sessions.js';

export interface ServerFacts {
  name: string;
  /** The license key's fingerprint, for users to compare in the setup-server dialog. */
  fingerprint: string;
  websetupHost: string;
  baseServers: string[];
  dashboardUrl: string;
}

export interface DashboardContext {
  store: Store;
  limiter: LoginLimiter;
  websetup: Uint8Array;
  /** Anyone may create an account once the server has its first one. */
  allowSignup: boolean;
  /**
   * The one-time secret hnet-server printed when it started: only a sign-up that carries it may
   * create the server's first account, so whoever reaches a fresh server first does not own it.
   */
  setupToken: string;
  secureCookies: boolean;
  facts: ServerFacts;
  /** These devices' whitelist, host table or name may have changed. */
  devicesChanged(addresses: string[]): void;
}

export interface ApiAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Call {
  request: IncomingMessage;
  params: string[];
  /** The client address, for rate limiting. */
  ip: string;
  body(): Promise<Record<string, unknown>>;
}
interface SignedInCall extends Call {
  caller: Caller;
}

type Handler<C> = (context: DashboardContext, call: C) => Promise<ApiAnswer>;
type Route =
  | { method: string; pattern: RegExp; open: true; handle: Handler<Call> }
  | { method: string; pattern: RegExp; open?: false; handle: Handler<SignedInCall> };

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;
/** The store holds device names to the rule the devices enforce, and says why one is refused. */
const DEVICE_NAME = /^.{1,253}$/;
const NAME = /^[^\p{C}]{1,64}$/u;

function field(
  body: Record<string, unknown>,
  name: string,
  pattern: { test(text: string): boolean },
  rule: string,
): string {
  const value = body[name];
  if (typeof value !== 'string' || !pattern.test(value.trim()))
    throw new HttpError(400, 'BadParams', `${name}: ${rule}`);
  return value.trim();
}

function password(body: Record<string, unknown>): string {
  const value = body.password;
  if (typeof value !== 'string' || value.length < MIN_PASSWORD_LENGTH || value.length > MAX_PASSWORD_LENGTH)
    throw new HttpError(400, 'BadParams', `password: use at least ${MIN_PASSWORD_LENGTH} characters.`);
  return value;
}

/** A path, or one part of it, with its %-escapes decoded; a malformed escape is a 400. */
export function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, 'BadPath', 'The path has a malformed %-escape (write "%" itself as %25).');
  }
}

function deviceAddress(text: string): string {
  const address = canonicalAddress(text);
  if (!address) throw new HttpError(400, 'BadParams', `"${text}" is not a device's fc94 address.`);
  return address;
}

const STATUS: Record<string, number> = { NotFound: 404, Conflict: 409, Forbidden: 403 };

function answer<T>(result: StoreResult<T>, status = 200, body?: unknown): ApiAnswer {
  if (!result.ok)
    throw new HttpError(STATUS[result.error.kind] ?? 400, result.error.kind, result.error.message);
  return { status, body: body ?? result.value ?? { ok: true } };
}

async function networkDevices(
  context: DashboardContext,
  accountId: string,
  networkId: string,
): Promise<string[]> {
  return (await context.store.network(accountId, networkId))?.devices.map((d) => d.address) ?? [];
}

/** The network a new join code puts devices in: an id, or none (null or left out: the account only). */
function codeNetwork(body: Record<string, unknown>): string | null {
  const given = body.networkId;
  if (given === undefined || given === null) return null;
  if (typeof given !== 'string' || !/^[\w-]{1,64}$/.test(given))
    throw new HttpError(400, 'BadParams', 'networkId: give the id of one of your networks, or null.');
  return given;
}

async function firstAccount(
  context: DashboardContext,
  email: string,
  secret: string,
  token: unknown,
): Promise<StoreResult<Account>> {
  if (typeof token !== 'string' || !sameText(token, context.setupToken))
    throw new HttpError(
      403,
      'BadSetupToken',
      "That is not this server's setup token; use the link or token hnet-server printed when it started.",
    );
  return context.store.createFirstAccount(email, await hashPassword(secret));
}

async function additionalAccount(
  context: DashboardContext,
  email: string,
  secret: string,
): Promise<StoreResult<Account>> {
  if (!(await context.store.hasFirstAccount()))
    throw new HttpError(
      403,
      'SetupTokenNeeded',
      'This server has no account yet. The first one needs the setup token: open the link hnet-server printed when it started (in its output and log).',
    );
  if (!context.allowSignup)
    throw new HttpError(
      403,
      'SignupClosed',
      'Sign-up is closed on this server; ask its owner for an account.',
    );
  return context.store.createAccount(email, await hashPassword(secret));
}

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/api\/server$/,
    open: true,
    handle: async (context) => {
      const claimed = await context.store.hasFirstAccount();
      return { body: { ...context.facts, claimed, signupOpen: claimed && context.allowSignup } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/signup$/,
    open: true,
    handle: async (context, call) => {
      const body = await call.body();
      const email = field(body, 'email', EMAIL, 'give an email address.');
      const secret = password(body);
      const created =
        body.setupToken === undefined
          ? await additionalAccount(context, email, secret)
          : await firstAccount(context, email, secret, body.setupToken);
      if (!created.ok) return answer(created);
      const session = await startSession(context.store, created.value.id, context.secureCookies);
      return {
        status: 201,
        body: { account: created.value, csrfToken: session.csrfToken },
        headers: { 'Set-Cookie': session.cookie },
      };
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/login$/,
    open: true,
    handle: async (context, call) => {
      const body = await call.body();
      const email = typeof body.email === 'string' ? body.email.trim() : '';
      const given = typeof body.password === 'string' ? body.password.slice(0, MAX_PASSWORD_LENGTH) : '';
      const attempt = context.limiter.admit(email, call.ip);
      if (!attempt.allowed) {
        const minutes = Math.ceil(attempt.retryAfterMs / 60_000);
        throw new HttpError(
          429,
          'TooManyAttempts',
          `Too many failed sign-ins from your address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          { 'Retry-After': String(Math.ceil(attempt.retryAfterMs / 1000)) },
        );
      }
      await attempt.ready;
      const found = await context.store.credentials(email);
      const valid = await verifyPassword(given, found?.passwordHash ?? (await decoyHash()));
      if (!found || !valid) throw new HttpError(401, 'BadCredentials', 'Wrong email or password.');
      attempt.succeeded();
      const session = await startSession(context.store, found.account.id, context.secureCookies);
      return {
        body: { account: found.account, csrfToken: session.csrfToken },
        headers: { 'Set-Cookie': session.cookie },
      };
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/logout$/,
    open: true,
    handle: async (context, call) => {
      // Only a caller who proves the session (cookie and CSRF token) may end it.
      await identify(context.store, call.request);
      return { body: { ok: true }, headers: { 'Set-Cookie': await endSession(context.store, call.request) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/session$/,
    handle: async (context, { caller }) => ({
      body: { account: await context.store.account(caller.accountId), csrfToken: caller.csrfToken ?? null },
    }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/tokens$/,
    handle: async (context, { caller }) => ({ body: await context.store.apiTokens(caller.accountId) }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/tokens$/,
    handle: async (context, call) => {
      const name = field(await call.body(), 'name', NAME, 'give the token a name of 1 to 64 characters.');
      const token = newApiToken();
      const record = await context.store.createApiToken(call.caller.accountId, name, hashSecret(token));
      return { status: 201, body: { ...record, token } };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/tokens\/([\w-]+)$/,
    handle: async (context, { caller, params }) =>
      answer(await context.store.deleteApiToken(caller.accountId, params[0]!)),
  },
  {
    method: 'GET',
    pattern: /^\/api\/join-codes$/,
    handle: async (context, { caller }) => ({ body: await context.store.joinCodes(caller.accountId) }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/join-codes$/,
    handle: async (context, call) => {
      const body = await call.body();
      const label = field(body, 'label', NAME, 'give the code a label of 1 to 64 characters.');
      const code = generateJoinCode();
      const created = await context.store.createJoinCode(
        call.caller.accountId,
        label,
        hashSecret(code),
        codeNetwork(body),
      );
      if (!created.ok) return answer(created);
      return {
        status: 201,
        body: { ...created.value, joinCode: formatJoinCode({ websetup: context.websetup, code }) },
      };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/join-codes\/([\w-]+)$/,
    // Revokes: the code stays listed, with the devices that joined with it.
    handle: async (context, { caller, params }) =>
      answer(await context.store.revokeJoinCode(caller.accountId, params[0]!)),
  },
  {
    method: 'GET',
    pattern: /^\/api\/devices$/,
    handle: async (context, { caller }) => ({ body: await context.store.devices(caller.accountId) }),
  },
  {
    method: 'PATCH',
    pattern: /^\/api\/devices\/([^/]+)$/,
    handle: async (context, call) => {
      const address = deviceAddress(call.params[0]!);
      const hostname = field(await call.body(), 'hostname', DEVICE_NAME, `${DEVICE_NAME_RULE}.`);
      const renamed = await context.store.renameDevice(call.caller.accountId, address, hostname);
      if (renamed.ok) {
        const peers = await context.store.peersOf(address);
        context.devicesChanged([address, ...peers.map((p) => p.address)]);
      }
      return answer(renamed);
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/devices\/([^/]+)$/,
    handle: async (context, { caller, params }) => {
      const address = deviceAddress(params[0]!);
      const peers = await context.store.peersOf(address);
      const deleted = await context.store.deleteDevice(caller.accountId, address);
      if (deleted.ok) context.devicesChanged(peers.map((p) => p.address));
      return answer(deleted);
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/networks$/,
    handle: async (context, { caller }) => ({ body: await context.store.networks(caller.accountId) }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/networks$/,
    handle: async (context, call) => {
      const name = field(await call.body(), 'name', NAME, 'give the network a name of 1 to 64 characters.');
      return { status: 201, body: await context.store.createNetwork(call.caller.accountId, name) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/networks\/([\w-]+)$/,
    handle: async (context, { caller, params }) => {
      const network = await context.store.network(caller.accountId, params[0]!);
      if (!network) throw new HttpError(404, 'NotFound', 'There is no such network.');
      return { body: network };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/networks\/([\w-]+)$/,
    handle: async (context, { caller, params }) => {
      const members = await networkDevices(context, caller.accountId, params[0]!);
      const deleted = await context.store.deleteNetwork(caller.accountId, params[0]!);
      if (deleted.ok) context.devicesChanged(members);
      return answer(deleted);
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/networks\/([\w-]+)\/devices$/,
    handle: async (context, call) => {
      const networkId = call.params[0]!;
      const address = deviceAddress(
        field(await call.body(), 'address', /^[0-9a-fA-F:]{2,39}$/, 'give a device address.'),
      );
      const added = await context.store.addToNetwork(call.caller.accountId, networkId, address);
      if (added.ok) context.devicesChanged(await networkDevices(context, call.caller.accountId, networkId));
      return answer(added, 201, await context.store.network(call.caller.accountId, networkId));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/networks\/([\w-]+)\/devices\/([^/]+)$/,
    handle: async (context, { caller, params }) => {
      const [networkId, text] = params as [string, string];
      const address = deviceAddress(text);
      const removed = await context.store.removeFromNetwork(caller.accountId, networkId, address);
      if (removed.ok)
        context.devicesChanged([address, ...(await networkDevices(context, caller.accountId, networkId))]);
      return answer(removed, 200, await context.store.network(caller.accountId, networkId));
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/networks\/([\w-]+)\/shares$/,
    handle: async (context, call) => {
      const email = field(await call.body(), 'email', EMAIL, 'give the email of the account to share with.');
      const networkId = call.params[0]!;
      const shared = await context.store.shareNetwork(call.caller.accountId, networkId, email);
      return answer(shared, 201, await context.store.network(call.caller.accountId, networkId));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/networks\/([\w-]+)\/shares\/([^/]+)$/,
    handle: async (context, { caller, params }) => {
      const [networkId, email] = params as [string, string];
      const unshared = await context.store.unshareNetwork(caller.accountId, networkId, email);
      return answer(unshared, 200, await context.store.network(caller.accountId, networkId));
    },
  },
];

/** Runs the matching route; undefined when no route has this path. */
export async function handleApi(
  context: DashboardContext,
  request: IncomingMessage,
  path: string,
  ip: string,
): Promise<ApiAnswer | undefined> {
  const matching = routes.filter((route) => route.pattern.test(path));
  if (matching.length === 0) return undefined;
  const route = matching.find((r) => r.method === request.method);
  if (!route)
    throw new HttpError(405, 'BadMethod', `${request.method} is not allowed here.`, {
      Allow: matching.map((r) => r.method).join(', '),
    });
  // Each part is matched still escaped, so an escaped "/" stays inside its part, then decoded.
  const params = (route.pattern.exec(path) ?? []).slice(1).map(decodePathPart);
  const call: Call = { request, params, ip, body: () => readJson(request) };
  if (route.open) return route.handle(context, call);
  const caller = await identify(context.store, request);
  if (!caller)
    throw new HttpError(
      401,
      'NotSignedIn',
      'Sign in first, or send an API token as "Authorization: Bearer …".',
    );
  return route.handle(context, { ...call, caller });
}
