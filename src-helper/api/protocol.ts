// The root helper's wire protocol, declared once: the helper validates every request with it and
// helper-client.ts builds requests and checks replies with the same validators.
//
// Framing: one request per connection. The client sends one JSON object and a newline; the helper
// replies with one JSON object and a newline and closes. An `openTun` reply carries the TUN file
// descriptor (SCM_RIGHTS) on its first byte.
//
// A device is handed only to the key that owns its address: the client asks for a `challenge`, then
// sends `openTun` with its Ed25519 public key and a signature over tunProofMessage(nonce); the
// helper derives the address from that key itself (PROTOCOL.md §1) and names the device itself.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { fromHex } from '../../src-protocol/bytes.js';
import { canonicalHostname, HOSTNAME_RULE } from '../../src-shared/hostname.js';
import {
  boolean,
  integer,
  list,
  object,
  oneOf,
  optional,
  parsed,
  text,
  type Checked,
  type Infer,
  type Validator,
} from '../../src-shared/validate.js';

export const DEFAULT_SOCKET_PATH = '/run/hnet-helper/helper.sock';
/** Windows: the helper's control pipe, the counterpart of the Unix socket. */
export const DEFAULT_PIPE_PATH = '\\\\.\\pipe\\hnet-helper';
/** Bounds what one /etc/hosts rewrite may contain (the engine's host table has the same limit). */
export const MAX_HOSTS_ENTRIES = 4096;
/** Large enough for MAX_HOSTS_ENTRIES entries of the longest hostname; anything longer is hostile. */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
export const MANAGED_MARKER = '# managed by hnet';

// Linux IFNAMSIZ is 16 including the NUL; restricting to [a-z0-9] keeps names from being options
// or paths when they reach `ip`.
const TUN_NAME = /^[a-z0-9]{1,15}$/;

export const tunNameValidator: Validator<string> = parsed(
  'an interface name of 1 to 15 lowercase letters and digits',
  (value) => (TUN_NAME.test(value) ? value : undefined),
);

export const hostnameValidator: Validator<string> = parsed(
  `a hostname of ${HOSTNAME_RULE}`,
  canonicalHostname,
);

/** Accepts any IPv6 spelling inside fc94::/16 and yields Husarnet's full eight-group form. */
export const overlayAddressValidator: Validator<string> = parsed(
  'an hnet address inside fc94::/16',
  (value) => {
    const bytes = parseOverlayAddress(value);
    return bytes ? formatAddress(bytes) : undefined;
  },
);

export const hostsEntryValidator = object({ address: overlayAddressValidator, hostname: hostnameValidator });
export type HostsEntry = Infer<typeof hostsEntryValidator>;

/** Exactly `length` bytes written as lowercase hex. */
const hexBytes = (length: number): Validator<string> =>
  parsed(`${length * 2} lowercase hex digits`, (value) =>
    /^[0-9a-f]*$/.test(value) && fromHex(value)?.length === length ? value : undefined,
  );

export const NONCE_BYTES = 32;
const TUN_PROOF_KIND = new TextEncoder().encode('hnet-helper-tun\n');

/**
 * What the client signs with its device key to be given a device: a domain-separation prefix (as
 * PROTOCOL.md §1's signatures have) and the nonce the helper issued to that very process.
 */
export function tunProofMessage(nonce: Uint8Array): Uint8Array {
  const message = new Uint8Array(TUN_PROOF_KIND.length + nonce.length);
  message.set(TUN_PROOF_KIND, 0);
  message.set(nonce, TUN_PROOF_KIND.length);
  return message;
}

const requestValidators = {
  challenge: object({ op: oneOf(['challenge'] as const) }),
  openTun: object({
    op: oneOf(['openTun'] as const),
    publicKey: hexBytes(32),
    nonce: hexBytes(NONCE_BYTES),
    signature: hexBytes(64),
    mtu: integer(1280, 9000),
  }),
  closeTun: object({ op: oneOf(['closeTun'] as const), name: tunNameValidator }),
  writeHosts: object({
    op: oneOf(['writeHosts'] as const),
    entries: list(hostsEntryValidator, MAX_HOSTS_ENTRIES),
  }),
  status: object({ op: oneOf(['status'] as const) }),
};

export const tunInfoValidator = object({
  name: tunNameValidator,
  address: overlayAddressValidator,
  mtu: integer(1280, 9000),
  ownerUid: integer(0, 2 ** 32 - 1),
  ownerPid: integer(0, 2 ** 32 - 1),
  /** Windows: the owner's SID (ownerUid is then NO_UID for every caller). */
  ownerSid: optional(text({ maxLength: 256 })),
  /** This device carries fc94::/16 and the overlay's multicast routes: one device at a time does. */
  overlayRoute: boolean,
  /** The kernel's index of the device (0 on Windows): a later device of the same name is not it. */
  ifindex: integer(0, 2 ** 31 - 1),
});
export type TunInfo = Infer<typeof tunInfoValidator>;

// Windows only (no fd to pass): the per-session pipe the helper relays the Wintun session over.
// A random name, so another process cannot guess it before the engine connects.
const DATA_PIPE = /^\\\\\.\\pipe\\hnet-tun-[0-9a-f]{32}$/;
export const dataPipeValidator: Validator<string> = parsed(
  'a \\\\.\\pipe\\hnet-tun-<32 hex> pipe name',
  (value) => (DATA_PIPE.test(value) ? value : undefined),
);

const resultValidators = {
  challenge: object({ nonce: hexBytes(NONCE_BYTES) }),
  openTun: object({
    name: tunNameValidator,
    address: overlayAddressValidator,
    mtu: integer(1280, 9000),
    /** False: another client holds the overlay's routes, so this device has its address only. */
    overlayRoute: boolean,
    dataPipe: optional(dataPipeValidator),
  }),
  closeTun: object({ name: tunNameValidator, removed: boolean }),
  writeHosts: object({
    written: integer(0, MAX_HOSTS_ENTRIES),
    /** Names left out because the file already has them on a line of its own (never shadowed). */
    skipped: list(hostnameValidator, MAX_HOSTS_ENTRIES),
    // How the file was replaced: in place means a bind-mounted file (atomic-file.ts).
    method: oneOf(['renamed', 'in-place', 'unchanged'] as const),
  }),
  status: object({
    version: text({ maxLength: 64 }),
    tuns: list(tunInfoValidator, 64),
    hostsFile: text({ maxLength: 4096 }),
    managedEntries: integer(0, MAX_HOSTS_ENTRIES),
  }),
};

export type Operation = keyof typeof requestValidators;
export type RequestOf<K extends Operation> = Infer<(typeof requestValidators)[K]>;
export type ResultOf<K extends Operation> = Infer<(typeof resultValidators)[K]>;
export type HelperRequest = { [K in Operation]: RequestOf<K> }[Operation];

export const OPERATIONS = Object.keys(requestValidators) as Operation[];

export type HelperErrorKind =
  | 'NotAuthorised'
  | 'NotOwner'
  | 'BadProof'
  | 'Busy'
  | 'BadRequest'
  | 'UnknownOperation'
  | 'TooLarge'
  | 'TunFailed'
  | 'HostsFailed'
  | 'HelperNotRunning'
  | 'Timeout'
  | 'BadReply'
  | 'Internal';

export interface HelperError {
  kind: HelperErrorKind;
  message: string;
}

export type HelperReply<T> = { ok: true; result: T } | { ok: false; error: HelperError };

const isOperation = (value: unknown): value is Operation =>
  typeof value === 'string' && Object.hasOwn(requestValidators, value);

/** Checks untrusted request bytes; the error is what the helper sends back. */
export function parseRequest(line: string): HelperReply<HelperRequest> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: { kind: 'BadRequest', message: 'the request is not valid JSON' } };
  }
  const op = (value as { op?: unknown } | null)?.op;
  if (!isOperation(op)) {
    return {
      ok: false,
      error: {
        kind: 'UnknownOperation',
        message: `the helper only performs ${OPERATIONS.join(', ')}; refused ${JSON.stringify(op ?? null).slice(0, 40)}`,
      },
    };
  }
  const checked: Checked<HelperRequest> = requestValidators[op](value, '');
  return checked.ok
    ? { ok: true, result: checked.value }
    : { ok: false, error: { kind: 'BadRequest', message: `refused ${op}: ${checked.error}` } };
}

const helperErrorValidator = object({
  kind: oneOf([
    'NotAuthorised',
    'NotOwner',
    'BadProof',
    'Busy',
    'BadRequest',
    'UnknownOperation',
    'TooLarge',
    'TunFailed',
    'HostsFailed',
    'HelperNotRunning',
    'Timeout',
    'BadReply',
    'Internal',
  ] as const satisfies readonly HelperErrorKind[]),
  message: text({ maxLength: 4096 }),
});

/** Checks a reply for operation `op` (client side: catches a helper of another version). */
export function parseReply<K extends Operation>(op: K, line: string): HelperReply<ResultOf<K>> {
  const badReply = (why: string): HelperReply<never> => ({
    ok: false,
    error: {
      kind: 'BadReply',
      message: `the helper's reply to ${op} was not understood (${why}); reinstall it`,
    },
  });
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return badReply('not JSON');
  }
  const reply = value as { ok?: unknown; result?: unknown; error?: unknown } | null;
  if (reply?.ok === false) {
    const error = helperErrorValidator(reply.error, 'error');
    return error.ok ? { ok: false, error: error.value } : badReply(error.error);
  }
  if (reply?.ok !== true) return badReply('no "ok" field');
  const result = (resultValidators[op] as Validator<ResultOf<K>>)(reply.result, 'result');
  return result.ok ? { ok: true, result: result.value } : badReply(result.error);
}

export const encodeLine = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value)}\n`);
