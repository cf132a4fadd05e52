// Fetches a server's license.json and the key that signs it (PROTOCOL.md §7), and accepts them only
// when the signature holds. Whether the key is the server's, only its fingerprint, compared by the
// user with what the server's owner sees, can tell.
import {
  decodeLicenseKey,
  keyFingerprint,
  LICENSE_KEY_PATH,
  LICENSE_PATH,
  normaliseFingerprint,
} from '../../../src-protocol/license-key.js';
import {
  baseServerTargets,
  parseLicense,
  verifyLicense,
  type License,
} from '../../../src-protocol/license.js';
import type { IncomingMessage } from 'node:http';
import { DASHBOARD_PORT, HTTPS_PORT, type ServerAddress } from '../../../src-shared/server-address.js';
import { errorText, failure, success, type Outcome } from '../../contract/errors.js';

const FETCH_TIMEOUT_MS = 8000;
// license.json is a few hundred bytes (a stock daemon reads it in one 8 KiB receive) and the key 45.
// A body is read only up to this, so a server sending more cannot make the engine hold it.
const MAX_BODY_BYTES = 64 * 1024;

/** What one GET came to: an answer, a body over the limit, no answer in time, or a socket error. */
export type HttpResult =
  | { kind: 'answer'; status: number; body: string; location: string | undefined }
  | { kind: 'too-big' }
  | { kind: 'timeout' }
  | { kind: 'failed'; code: string | undefined; message: string };
/** One GET, bounded in size and time; tests put a man in the middle here. */
export type HttpGet = (url: string) => Promise<HttpResult>;

/**
 * A GET with node:http(s), not fetch: fetch refuses ports on its "bad port" list (a server on :9
 * or :6000 is still a server), and here the whole exchange, connect to last byte, has one deadline
 * and the body one size limit, past which the socket is closed.
 */
export const boundedGet: HttpGet = async (url) => {
  const target = new URL(url);
  // Loaded when a server is first asked, not at every start of hnetd (~5 ms of CPU for both).
  const { request: send } =
    target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: HttpResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const failed = (error: NodeJS.ErrnoException): void =>
      finish({ kind: 'failed', code: error.code, message: errorText(error) });
    const read = (response: IncomingMessage): void => {
      if (Number(response.headers['content-length'] ?? 0) > MAX_BODY_BYTES)
        return finish({ kind: 'too-big' });
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) finish({ kind: 'too-big' });
        else chunks.push(chunk);
      });
      response.on('error', failed);
      response.on('end', () =>
        finish({
          kind: 'answer',
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          location: response.headers.location,
        }),
      );
    };
    const request = send(target, { method: 'GET', agent: false, headers: { accept: '*/*' } }, read);
    const timer = setTimeout(() => finish({ kind: 'timeout' }), FETCH_TIMEOUT_MS);
    request.on('error', failed);
    request.end();
  });
};

export interface ServerLicense {
  license: License;
  /** The fingerprint of the key that signed it, for the user to compare. */
  fingerprint: string;
}

/** Nothing hnet-like at this address (a candidate of a bare address may be tried next). */
const NOTHING_THERE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const CERTIFICATE = /CERT|SIGNATURE|ALTNAME|ISSUER/;

/** Why the server at `root` gave no `what`, in words; `elsewhere` when another candidate may still answer. */
function sentenceFor(
  root: string,
  what: string,
  result: Exclude<HttpResult, { kind: 'answer' }>,
): { message: string; elsewhere: boolean } {
  const target = new URL(root);
  const { host, hostname } = target;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (result.kind === 'too-big')
    return {
      message: `${host} sent more than ${MAX_BODY_BYTES} bytes for ${what}, which is a few hundred: that is not an hnet server.`,
      elsewhere: true,
    };
  if (result.kind === 'timeout')
    return {
      message: `${host} did not answer within ${FETCH_TIMEOUT_MS / 1000} s. Check the address, that the server is running, and that this device reaches it (a firewall may drop the connection).`,
      elsewhere: false,
    };
  const { code = '', message } = result;
  if (code === 'ECONNREFUSED')
    return {
      message: `Nothing listens on port ${port} of ${hostname} (connection refused): the server is not running, or its dashboard is on another port. Give the port too, as in ${hostname}:5580.`,
      elsewhere: true,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return {
      message: `No host is called ${hostname} (the name does not resolve). Check its spelling, or use the server's IP address.`,
      elsewhere: false,
    };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || code === 'EADDRNOTAVAIL')
    return {
      message: `${hostname} cannot be reached from this device (${code === 'ETIMEDOUT' ? 'no answer' : 'no route to it'}). Check the address and this device's network.`,
      elsewhere: false,
    };
  if (
    /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|wrong version number|packet length too long/i.test(
      code + message,
    )
  )
    return {
      message: `${host} answers in plain HTTP, not HTTPS. Use http://${host}${target.pathname.replace(/\/+$/, '')} (the license's signature and the fingerprint you compare are what make the server trusted).`,
      elsewhere: true,
    };
  if (CERTIFICATE.test(code))
    return {
      message: `${host}'s HTTPS certificate is not valid for it (${message}). Ask its owner for a certificate that names ${hostname}, or use its plain http:// address and compare the fingerprint.`,
      elsewhere: false,
    };
  if (code.startsWith('HPE_') || /EPROTO|ERR_SSL/.test(code))
    return {
      message: `${host} does not speak ${target.protocol === 'https:' ? 'HTTPS' : 'HTTP'} on port ${port} (${message}). If the server uses ${target.protocol === 'https:' ? 'plain HTTP, type http://' : 'HTTPS, type https://'}${host}.`,
      elsewhere: true,
    };
  return {
    message: `${host} closed the connection (${message}). Check the address and that the server is running.`,
    elsewhere: NOTHING_THERE.has(code),
  };
}

/** A failure's kind: Timeout when nothing (or nothing that speaks HTTP) answered, BadParams when something not hnet did. */
type Fetched =
  | { ok: true; value: string }
  | { ok: false; kind: 'Timeout' | 'BadParams'; message: string; elsewhere: boolean };

async function fetchText(get: HttpGet, root: string, path: string, what: string): Promise<Fetched> {
  const url = root + path;
  const result = await get(url);
  if (result.kind !== 'answer')
    return {
      ok: false,
      kind: result.kind === 'timeout' || result.kind === 'failed' ? 'Timeout' : 'BadParams',
      ...sentenceFor(root, what, result),
    };
  const { host } = new URL(url);
  if (result.status >= 300 && result.status < 400)
    return {
      ok: false,
      kind: 'BadParams',
      message: `${host} sends ${what} elsewhere (${result.status}${result.location ? `, to ${result.location}` : ''}); hnet follows no redirect. Type the address it names instead.`,
      elsewhere: false,
    };
  if (result.status !== 200)
    return {
      ok: false,
      kind: 'BadParams',
      message: `${host} answered ${result.status} for ${what}: it is not an hnet server's dashboard. Check the address and port.`,
      elsewhere: true,
    };
  return { ok: true, value: result.body };
}

/** For an address without a port: which ports hnet assumed, in words, once it tried `count` of them. */
function assumedPorts(address: ServerAddress, count: number): string {
  const each = address.candidates.slice(0, count).map((url) => {
    const { protocol, port } = new URL(url);
    const scheme = protocol.slice(0, -1);
    return `${scheme} on port ${port || (scheme === 'https' ? HTTPS_PORT : DASHBOARD_PORT)}`;
  });
  const list = each.length === 1 ? each[0] : `${each.slice(0, -1).join(', ')} and ${each.at(-1)}`;
  return `${address.text} names no port, so hnet tried ${list} (hnet-server's dashboard is on port ${DASHBOARD_PORT} unless told otherwise). `;
}

/**
 * The license served at `address` (its candidates in turn, while the one before had nothing hnet
 * there), the fingerprint of the key it publishes if that key signed it, and the base URL that
 * served it. Whether the key is the right one only the user can say (`isConfirmed`).
 */
export async function fetchServerLicense(
  address: ServerAddress,
  get: HttpGet = boundedGet,
): Promise<Outcome<ServerLicense & { url: string }>> {
  let first: Extract<Fetched, { ok: false }> | undefined;
  let tried = 0;
  for (const root of address.candidates) {
    tried += 1;
    const licenseText = await fetchText(get, root, LICENSE_PATH, 'license.json');
    if (licenseText.ok) return checkLicense(get, root, licenseText.value);
    first ??= licenseText;
    if (!licenseText.elsewhere) break;
  }
  const assumed = address.candidates.length > 1 ? assumedPorts(address, tried) : '';
  return failure(first?.kind ?? 'BadParams', `${assumed}${first?.message ?? 'There is no address to try.'}`);
}

async function checkLicense(
  get: HttpGet,
  root: string,
  text: string,
): Promise<Outcome<ServerLicense & { url: string }>> {
  const host = new URL(root).host;
  const license = parseLicense(text);
  if (!license.ok)
    return failure(
      'BadParams',
      `${host} serves a license.json that is not an hnet license: ${license.error.message}`,
    );
  const keyText = await fetchText(get, root, LICENSE_KEY_PATH, 'its signing key');
  if (!keyText.ok) return failure('BadParams', keyText.message);
  const key = decodeLicenseKey(keyText.value);
  if (!key)
    return failure('BadParams', `${host}'s signing key (${LICENSE_KEY_PATH}) is not a base64 Ed25519 key.`);
  const verified = verifyLicense(license.value, key, new Date());
  if (!verified.ok)
    return verified.error.kind === 'BadSignature'
      ? failure(
          'NotPermitted',
          `The license from ${host} is not signed by the key it publishes, so it cannot be trusted. Nothing was changed.`,
        )
      : failure(
          'BadState',
          `The license from ${host} cannot be used: ${verified.error.message} Nothing was changed.`,
        );
  // The engine takes base_server_addresses as the servers to dial; a server on a TCP port other
  // than 443 names IP:PORT in the signed, hnet-only hnet_base_servers (src-protocol/license.ts).
  const dialed = { ...verified.value, base_server_addresses: baseServerTargets(verified.value) };
  return success({ license: dialed, fingerprint: keyFingerprint(key), url: root });
}

/** Whether the fingerprint a user typed (any case, spaces or colons) is this key's. */
export const isConfirmed = (typed: string, fingerprint: string): boolean =>
  normaliseFingerprint(typed) === fingerprint;
