// The control API, declared once. Every call names its parameter validator, its result type and
// whether it changes anything; the server's dispatch (control-api.ts) and the typed client
// (control-client.ts) both derive from `controlCalls`, so a call name never appears as a loose
// string and a handler cannot drift from what clients expect.
//
// Wire format: newline-delimited JSON over a local Unix socket, one message per line.
//   client → server  {"id":1,"call":"whitelist.add","params":{"address":"fc94:…"}}
//   server → client  {"id":1,"ok":true,"result":…}  or  {"id":1,"ok":false,"error":{"kind":…,"message":…}}
//   server → client  {"event":"status","update":{"status":…,"changed":[…]}}   after "subscribe"
import type { NetcheckReport, PingResult } from './diagnostics.js';
import type { EngineError } from './errors.js';
import type { StatusUpdate } from './events.js';
import { type HostEntry, addressValidator, hostnameValidator, type WhitelistState } from './names.js';
import { normaliseFingerprint } from '../../src-protocol/license-key.js';
import { parseServerAddress } from '../../src-shared/server-address.js';
import type { Status } from './status.js';
import {
  integer,
  object,
  oneOf,
  optional,
  text,
  type Checked,
  type Validator,
} from '../../src-shared/validate.js';

export interface SetupServerResult {
  /**
   * False when no fingerprint was confirmed: nothing changed, and `fingerprint` is the key to
   * compare with what the server's owner sees before asking again with it.
   */
  switched: boolean;
  /**
   * Where the license was found, as a full URL (http or https, port when not the default): what the
   * address typed was read as, kept as the server in use.
   */
  url: string;
  /** The license's name for the installation. */
  name: string;
  /** The server's signing key (SHA-256, 16 groups of 4 hex digits). */
  fingerprint: string;
  /** Base servers from the server's license: in use now when `switched`. */
  baseServers: string[];
}
export interface JoinResult {
  websetup: string;
  /** The name websetup gave this device: `requested`, unless that was taken or not a single label. */
  hostname: string;
  requested: string;
  /** The names of the networks the device is in now (its code's network). */
  networks: string[];
}
export interface LeaveResult {
  websetup: string;
  /** What websetup had put on this device and is now gone; entries the user added stay. */
  removed: { addresses: string[]; hostnames: string[] };
}

/** A request line longer than this is refused: no legitimate call comes close. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Answers carry full status (many peers); the client refuses lines beyond this. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** A ping waits for its reply this long at most (the call holds its connection meanwhile). */
export const MIN_PING_TIMEOUT_MS = 100;
export const MAX_PING_TIMEOUT_MS = 10_000;

interface CallSpec<P, R> {
  params: Validator<P>;
  /** Calls that change anything need root or the user who runs the engine. */
  needsWrite: boolean;
  /** Never set: carries the result type for the client and the handlers. */
  readonly result?: R;
}

const call =
  <R>() =>
  <P>(params: Validator<P>, needsWrite: boolean): CallSpec<P, R> => ({ params, needsWrite });

const noParams = object({});
/** A parameter typed by a person: the message quotes it and shows the expected form. */
function userInput(
  what: string,
  form: string,
  parse: (value: string) => string | undefined,
): Validator<string> {
  return (value) => {
    const result = typeof value === 'string' ? parse(value) : undefined;
    return result === undefined
      ? { ok: false, error: `bad ${what}: ${JSON.stringify(value)} — expected ${form}` }
      : { ok: true, value: result };
  };
}

/**
 * A server's address as a person typed it (server-address.ts reads it, for the CLI and the window
 * alike): it travels tidied, and a refusal is the parser's sentence.
 */
const serverAddress: Validator<string> = (value) => {
  if (typeof value !== 'string') return { ok: false, error: "Type the server's address as text." };
  const parsed = parseServerAddress(value);
  return parsed.ok ? { ok: true, value: parsed.value.text } : parsed;
};
/** A server's key fingerprint, however it was typed; it arrives as 16 groups of 4 hex digits. */
export const fingerprintInput = userInput(
  'key fingerprint',
  '64 hex digits (spaces and colons allowed), as "hnet setup-server <url>" shows it',
  (value) => {
    const fingerprint = normaliseFingerprint(value);
    return /^(?:[0-9a-f]{4} ){15}[0-9a-f]{4}$/.test(fingerprint) ? fingerprint : undefined;
  },
);
// `<websetup fc94 address>/<22-character code>` (PROTOCOL.md §7).
const joinCode = userInput(
  'join code',
  '<fc94 address>/<22 characters>, as the dashboard shows it',
  (value) =>
    /^[0-9a-fA-F:]{2,39}\/[A-Za-z0-9_-]{22}$/.test(value) && addressValidator(value.split('/')[0], '').ok
      ? value
      : undefined,
);

export const controlCalls = {
  status: call<Status>()(noParams, false),
  /** Answers `{}`, then sends a status event now and on every visible change. */
  subscribe: call<Record<string, never>>()(noParams, false),
  resolve: call<HostEntry>()(object({ host: text({ maxLength: 253, nonEmpty: true }) }), false),
  'whitelist.list': call<WhitelistState>()(noParams, false),
  'whitelist.add': call<WhitelistState>()(object({ address: addressValidator }), true),
  'whitelist.remove': call<WhitelistState>()(object({ address: addressValidator }), true),
  'whitelist.enable': call<WhitelistState>()(noParams, true),
  'whitelist.disable': call<WhitelistState>()(noParams, true),
  'hosts.list': call<HostEntry[]>()(noParams, false),
  'hosts.add': call<HostEntry[]>()(object({ hostname: hostnameValidator, address: addressValidator }), true),
  'hosts.remove': call<HostEntry[]>()(object({ hostname: hostnameValidator }), true),
  /** Without `fingerprint` nothing changes: the answer names the server's key for the user to check. */
  setupServer: call<SetupServerResult>()(
    object({ url: serverAddress, fingerprint: optional(fingerprintInput) }),
    true,
  ),
  join: call<JoinResult>()(object({ code: joinCode, hostname: optional(hostnameValidator) }), true),
  /** Leaves the network joined with `join` (the one websetup named, if given). */
  'network.leave': call<LeaveResult>()(object({ websetup: optional(addressValidator) }), true),
  /**
   * `down`: the engine keeps running but carries no traffic and talks to no one (hnet0 closed, no
   * base, no LAN beacons) until `up`; kept across restarts. Answers the new Status.
   */
  'connection.set': call<Status>()(object({ connection: oneOf(['up', 'down'] as const) }), true),
  /** One heartbeat round trip to a peer, with the path each way; waits at most `timeoutMs`. */
  ping: call<PingResult>()(
    object({
      host: text({ maxLength: 253, nonEmpty: true }),
      timeoutMs: optional(integer(MIN_PING_TIMEOUT_MS, MAX_PING_TIMEOUT_MS)),
    }),
    false,
  ),
  /** Base reachability over UDP and TCP, this NAT's mapping, LAN beacons; takes a few seconds. */
  netcheck: call<NetcheckReport>()(noParams, false),
};

export type ControlCalls = typeof controlCalls;
export type CallName = keyof ControlCalls;
export type ParamsOf<K extends CallName> = ControlCalls[K] extends CallSpec<infer P, unknown> ? P : never;
export type ResultOf<K extends CallName> = ControlCalls[K] extends CallSpec<unknown, infer R> ? R : never;

export const isCallName = (name: string): name is CallName => Object.hasOwn(controlCalls, name);

export function checkParams<K extends CallName>(name: K, params: unknown): Checked<ParamsOf<K>> {
  return (controlCalls[name].params as Validator<ParamsOf<K>>)(params ?? {}, 'params');
}

export const requestSchema = object({
  id: integer(0, Number.MAX_SAFE_INTEGER),
  call: text({ maxLength: 64, nonEmpty: true }),
  params: optional((value: unknown): Checked<unknown> => ({ ok: true, value })),
});

export type Response =
  { id: number; ok: true; result: unknown } | { id: number | null; ok: false; error: EngineError };

export interface StatusEvent {
  event: 'status';
  update: StatusUpdate;
}

export type ServerMessage = Response | StatusEvent;
