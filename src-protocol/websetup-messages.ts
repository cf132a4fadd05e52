// Management datagrams between a node and websetup (PROTOCOL.md §7), carried inside the overlay.
// Node → websetup: join/init requests and replies. Websetup → node: `<secret><seq><command>\n<payload>`.
// hnet extensions (docs/protocol-extensions.md): a join request may carry a proof line, signed with
// the device key, so websetup can tell the engine's request from a local forgery; and websetup
// answers such a signed request whose code it does not take with `hnet-join-refused`, so the device
// stops asking. Stock devices never sign, so they never get it.
import { addressFromPublicKey, formatAddress, isOverlayAddress, parseOverlayAddress } from './address.js';
import { concat, equalBytes, fromHex, toHex } from './bytes.js';
import { sign, verify } from './crypto.js';
import type { Identity } from './identity.js';
import { defaultRandomFill, randomText, type RandomFill } from './random-text.js';
import { fail, ok, type ProtocolError, type Result } from './result.js';

/** The node listens here (bound to its overlay address). */
export const WEBSETUP_NODE_PORT = 5580;
/** Websetup listens here. */
export const WEBSETUP_SERVER_PORT = 4800;
export const WEBSETUP_SEQ_LENGTH = 5;
export const JOIN_CODE_LENGTH = 22;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const seqPattern = /^[A-Za-z0-9]{5}$/;
const hostnamePattern = /^[A-Za-z0-9_.-]{1,253}$/;
// Stock nodes use 24 hex digits; any run of printable, non-space ASCII long enough to guess badly works.
const secretPattern = /^[!-~]{16,128}$/;
const codePattern = /^[A-Za-z0-9_-]{22}$/;
const JOIN_PROOF_WORD = 'hnet-join-proof';
const proofPattern = new RegExp(`^${JOIN_PROOF_WORD} ([0-9a-f]{64}) ([0-9a-f]{128})$`);
const PUBLIC_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
const HOSTNAME_RULE = 'A hostname is letters, digits, "_", "." and "-".';
const SECRET_RULE = 'A websetup secret is 16–128 printable characters.';
const SEQ_RULE = 'A websetup sequence is 5 letters or digits.';

/** Why websetup refused a signed join: the only reason so far is a code it does not take. */
export const JOIN_REFUSALS = ['unknown-code'] as const;
export type JoinRefusal = (typeof JOIN_REFUSALS)[number];

export type WebsetupCommand =
  | { kind: 'ping' }
  /** Confirms a join; the payload is informational. */
  | { kind: 'init-response'; payload: string }
  | { kind: 'whitelist-add'; address: Uint8Array }
  | { kind: 'whitelist-rm'; address: Uint8Array }
  | { kind: 'whitelist-enable' }
  | { kind: 'whitelist-disable' }
  | { kind: 'host-add'; address: Uint8Array; hostname: string }
  | { kind: 'host-rm'; address: Uint8Array; hostname: string }
  | { kind: 'set-hostname'; hostname: string }
  | { kind: 'change-secret'; secret: string }
  | { kind: 'get-version' }
  | { kind: 'get-latency'; address: Uint8Array }
  | { kind: 'cleanup' }
  /** hnet only: the pending join is refused; the device stops asking. */
  | { kind: 'hnet-join-refused'; reason: JoinRefusal };

export type WebsetupCommandKind = WebsetupCommand['kind'];

export type WebsetupReply =
  | { kind: 'pong' }
  | { kind: 'ok' }
  /** The command was known but its payload was not acceptable. */
  | { kind: 'error' }
  | { kind: 'bad-command' }
  | { kind: 'version'; version: string; userAgent: string }
  /** Milliseconds; negative when there is no measurement yet. */
  | { kind: 'latency'; ms: number };

/** What a join request asks for; `code` is the part of the join code after the slash. */
export interface JoinFields {
  code: string;
  secret: string;
  hostname: string;
}

/**
 * The device's Ed25519 public key and its signature over `"hnet-websetup-join\n" ‖ websetup's
 * address (16 bytes) ‖ "<code>\n<secret>\n<hostname>"`: only the engine holds that key.
 */
export interface JoinProof {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export type NodeRequest =
  /** Sent every 5 s while a join is pending; stock devices send no proof. */
  | ({ kind: 'init-request-join-code'; proof?: JoinProof } & JoinFields)
  /** Sent when the last init-response is older than 15 minutes. */
  | { kind: 'init-request' };

/** Everything a websetup server can receive from a node. */
export type NodeToWebsetup = NodeRequest | { kind: 'reply'; seq: string; reply: WebsetupReply };

/** A websetup datagram whose secret matched, before its command is interpreted. */
export interface WebsetupDatagram {
  seq: string;
  command: string;
  payload: string;
}

function commandPayload(command: WebsetupCommand): string {
  switch (command.kind) {
    case 'init-response':
      return command.payload;
    case 'whitelist-add':
    case 'whitelist-rm':
      return toHex(command.address);
    case 'host-add':
    case 'host-rm':
      return `${formatAddress(command.address)} ${command.hostname}`;
    case 'set-hostname':
      return command.hostname;
    case 'change-secret':
      return command.secret;
    case 'get-latency':
      return formatAddress(command.address);
    case 'hnet-join-refused':
      return command.reason;
    default:
      return '';
  }
}

/** Websetup side: one command datagram for a node that holds `secret`. */
export function encodeWebsetupCommand(
  secret: string,
  seq: string,
  command: WebsetupCommand,
): Result<Uint8Array> {
  if (!secretPattern.test(secret)) return fail('BadSecret', SECRET_RULE);
  if (!seqPattern.test(seq)) return fail('BadFormat', SEQ_RULE);
  const payload = commandPayload(command);
  // Re-parse what we are about to send, so websetup can never emit a command a node would refuse.
  const roundTrip = parseWebsetupCommand({ seq, command: command.kind, payload });
  if (!roundTrip.ok) return roundTrip;
  return ok(encoder.encode(`${secret}${seq}${command.kind}\n${payload}`));
}

/**
 * Node side: checks the secret prefix in constant time and splits the rest. Anything failing here is
 * dropped without a reply, as stock nodes do.
 */
export function openWebsetupDatagram(bytes: Uint8Array, secret: string): Result<WebsetupDatagram> {
  const expected = encoder.encode(secret);
  if (expected.length === 0) return fail('BadSecret', 'No websetup secret is set; join a network first.');
  if (bytes.length < expected.length || !equalBytes(bytes.subarray(0, expected.length), expected))
    return fail('BadSecret', 'A websetup datagram with the wrong secret.');
  const rest = decoder.decode(bytes.subarray(expected.length));
  const newline = rest.indexOf('\n');
  if (newline <= WEBSETUP_SEQ_LENGTH)
    return fail('BadFormat', 'A websetup datagram needs a sequence and a command.');
  const seq = rest.slice(0, WEBSETUP_SEQ_LENGTH);
  if (!seqPattern.test(seq)) return fail('BadFormat', SEQ_RULE);
  return ok({ seq, command: rest.slice(WEBSETUP_SEQ_LENGTH, newline), payload: rest.slice(newline + 1) });
}

function overlayFromHex(text: string): Uint8Array | undefined {
  const bytes = text.length === 32 ? fromHex(text) : undefined;
  return bytes && isOverlayAddress(bytes) ? bytes : undefined;
}

function hostEntry(kind: 'host-add' | 'host-rm', payload: string): Result<WebsetupCommand> {
  const parts = payload.trim().split(/\s+/);
  const address = parts.length === 2 ? parseOverlayAddress(parts[0]!) : undefined;
  if (!address || !hostnamePattern.test(parts[1]!))
    return fail('BadFormat', `${kind} takes "<fc94 address> <hostname>".`);
  return ok({ kind, address, hostname: parts[1]! });
}

/** Interprets an opened datagram. Unknown commands fail with BadKind, bad payloads with BadFormat. */
export function parseWebsetupCommand(datagram: WebsetupDatagram): Result<WebsetupCommand> {
  const { command, payload } = datagram;
  switch (command) {
    // Stock nodes ignore the payload of these; so do we.
    case 'ping':
    case 'whitelist-enable':
    case 'whitelist-disable':
    case 'get-version':
    case 'cleanup':
      return ok({ kind: command });
    case 'init-response':
      return ok({ kind: command, payload });
    case 'whitelist-add':
    case 'whitelist-rm': {
      const address = overlayFromHex(payload.trim());
      return address
        ? ok({ kind: command, address })
        : fail('BadFormat', `${command} takes 32 hex digits of an fc94 address.`);
    }
    case 'host-add':
    case 'host-rm':
      return hostEntry(command, payload);
    case 'set-hostname':
      return hostnamePattern.test(payload)
        ? ok({ kind: command, hostname: payload })
        : fail('BadFormat', HOSTNAME_RULE);
    case 'change-secret':
      return secretPattern.test(payload)
        ? ok({ kind: command, secret: payload })
        : fail('BadSecret', SECRET_RULE);
    case 'get-latency': {
      const address = parseOverlayAddress(payload.trim());
      return address
        ? ok({ kind: command, address })
        : fail('BadFormat', 'get-latency takes an fc94 address.');
    }
    case 'hnet-join-refused': {
      const reason = JOIN_REFUSALS.find((known) => known === payload.trim());
      return reason
        ? ok({ kind: command, reason })
        : fail('BadFormat', `hnet-join-refused takes one of: ${JOIN_REFUSALS.join(', ')}.`);
    }
    default:
      return fail('BadKind', `Unknown websetup command "${command.slice(0, 40)}".`);
  }
}

/** The reply a node owes for a datagram whose command could not be parsed. */
export function replyForRejectedCommand(error: ProtocolError): WebsetupReply {
  return error.kind === 'BadKind' ? { kind: 'bad-command' } : { kind: 'error' };
}

function replyLine(reply: WebsetupReply): string {
  switch (reply.kind) {
    case 'version':
      return `version=${reply.version};ua=${reply.userAgent}`;
    case 'latency':
      return `latency=${reply.ms}`;
    default:
      return reply.kind;
  }
}

/** Node side: `<seq><response>\n`. */
export function encodeWebsetupReply(seq: string, reply: WebsetupReply): Result<Uint8Array> {
  if (!seqPattern.test(seq)) return fail('BadFormat', SEQ_RULE);
  const line = replyLine(reply);
  if (/[\n\r]/.test(line)) return fail('BadFormat', 'A websetup reply is one line.');
  if (reply.kind === 'latency' && !Number.isInteger(reply.ms))
    return fail('BadFormat', 'Latency is whole milliseconds.');
  return ok(encoder.encode(`${seq}${line}\n`));
}

const joinSignedBytes = (websetup: Uint8Array, fields: JoinFields): Uint8Array =>
  concat(websetup, encoder.encode(`${fields.code}\n${fields.secret}\n${fields.hostname}`));

/** Device side: the proof for a join request to the websetup node at `websetup`. */
export function proveJoin(identity: Identity, websetup: Uint8Array, fields: JoinFields): JoinProof {
  const signature = sign('hnet-websetup-join', joinSignedBytes(websetup, fields), identity.secretKey);
  return { publicKey: identity.publicKey, signature };
}

/**
 * Websetup side: the proof holds when its key is the one the sending device's overlay address
 * (`source`) derives from, and it signs exactly this request to this websetup (`websetup`).
 */
export function checkJoinProof(
  fields: JoinFields,
  proof: JoinProof,
  websetup: Uint8Array,
  source: Uint8Array,
): Result<void> {
  const owner = addressFromPublicKey(proof.publicKey);
  if (!owner || !equalBytes(owner, source))
    return fail('AddressMismatch', "The join proof is signed with a key that is not the sending device's.");
  if (!verify('hnet-websetup-join', joinSignedBytes(websetup, fields), proof.signature, proof.publicKey))
    return fail('BadSignature', "The join proof's signature does not hold for this request.");
  return ok(undefined);
}

/** Node side: a join or refresh request. */
export function encodeNodeRequest(request: NodeRequest): Result<Uint8Array> {
  if (request.kind === 'init-request') return ok(encoder.encode('init-request\n'));
  if (!codePattern.test(request.code))
    return fail('BadFormat', `A join code is ${JOIN_CODE_LENGTH} characters.`);
  if (!secretPattern.test(request.secret)) return fail('BadSecret', SECRET_RULE);
  if (!hostnamePattern.test(request.hostname)) return fail('BadFormat', HOSTNAME_RULE);
  const { proof } = request;
  if (proof && (proof.publicKey.length !== PUBLIC_KEY_LENGTH || proof.signature.length !== SIGNATURE_LENGTH))
    return fail('BadLength', 'A join proof is a 32-byte key and a 64-byte signature.');
  const proofLine = proof ? `\n${JOIN_PROOF_WORD} ${toHex(proof.publicKey)} ${toHex(proof.signature)}` : '';
  return ok(
    encoder.encode(
      `init-request-join-code\n${request.code}\n${request.secret}\n${request.hostname}${proofLine}`,
    ),
  );
}

function parseReply(line: string): WebsetupReply | undefined {
  if (line === 'pong' || line === 'ok' || line === 'error' || line === 'bad-command') return { kind: line };
  const version = /^version=([^;]*);ua=(.*)$/.exec(line);
  if (version) return { kind: 'version', version: version[1]!, userAgent: version[2]! };
  const latency = /^latency=(-?\d{1,10})$/.exec(line);
  if (latency) return { kind: 'latency', ms: Number(latency[1]) };
  return undefined;
}

/** Websetup side: classifies a datagram from a node. */
export function decodeNodeToWebsetup(bytes: Uint8Array): Result<NodeToWebsetup> {
  const text = decoder.decode(bytes);
  if (text === 'init-request\n' || text === 'init-request') return ok({ kind: 'init-request' });
  const joinPrefix = 'init-request-join-code\n';
  if (text.startsWith(joinPrefix)) {
    const fields = text.slice(joinPrefix.length).split('\n');
    if (fields.length !== 3 && fields.length !== 4)
      return fail('BadFormat', 'A join request has a code, a secret, a hostname and maybe a proof.');
    const [code, secret, hostname, proofLine] = fields as [string, string, string, string?];
    if (!codePattern.test(code)) return fail('BadFormat', 'The join request carries a malformed code.');
    if (!secretPattern.test(secret)) return fail('BadSecret', 'The join request carries an unusable secret.');
    if (!hostnamePattern.test(hostname))
      return fail('BadFormat', 'The join request carries a malformed hostname.');
    if (proofLine === undefined) return ok({ kind: 'init-request-join-code', code, secret, hostname });
    const proof = proofPattern.exec(proofLine);
    if (!proof) return fail('BadFormat', 'The join request carries a malformed proof line.');
    return ok({
      kind: 'init-request-join-code',
      code,
      secret,
      hostname,
      proof: { publicKey: fromHex(proof[1]!)!, signature: fromHex(proof[2]!)! },
    });
  }
  const seq = text.slice(0, WEBSETUP_SEQ_LENGTH);
  const newline = text.indexOf('\n');
  if (!seqPattern.test(seq) || newline < WEBSETUP_SEQ_LENGTH)
    return fail('BadFormat', 'Not a websetup request or reply.');
  const reply = parseReply(text.slice(WEBSETUP_SEQ_LENGTH, newline));
  return reply ? ok({ kind: 'reply', seq, reply }) : fail('BadKind', 'An unknown reply from a node.');
}

export interface JoinCode {
  websetup: Uint8Array;
  code: string;
}

/** `<websetup fc94 address>/<22-character code>`, as shown to users. */
export function formatJoinCode(joinCode: JoinCode): string {
  return `${formatAddress(joinCode.websetup)}/${joinCode.code}`;
}

export function parseJoinCode(text: string): Result<JoinCode> {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf('/');
  const websetup = slash > 0 ? parseOverlayAddress(trimmed.slice(0, slash)) : undefined;
  const code = trimmed.slice(slash + 1);
  if (!websetup || !codePattern.test(code))
    return fail(
      'BadFormat',
      'A join code looks like fc94:…:…/ followed by 22 letters and digits; copy it again from the dashboard.',
    );
  return ok({ websetup, code });
}

const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A fresh 22-character join code (about 131 bits). */
export function generateJoinCode(fill: RandomFill = defaultRandomFill): string {
  return randomText(CODE_ALPHABET, JOIN_CODE_LENGTH, fill);
}

/** A fresh websetup secret in the stock form: 12 random bytes as 24 hex digits. */
export function generateWebsetupSecret(fill: RandomFill = defaultRandomFill): string {
  return randomText('0123456789abcdef', 24, fill);
}
