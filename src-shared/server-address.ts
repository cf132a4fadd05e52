// What a person types for an hnet server, read one way everywhere: `hnet setup-server`, the window
// (through the engine's `setupServer` call) and the shell's preview all hand the text to this
// parser, so "10.77.0.1" means the same thing in each and a refusal is worded the same.
//
// Forms: a bare host ("10.77.0.1", "server.example", "fd00::1", "[fd00::1]"), host:port
// ("10.77.0.1:5580", "[fd00::1]:5580"), or a URL ("http://…", "https://…"), each with an optional
// path for a server behind a reverse proxy. A bare host is tried as hnet-server serves its dashboard:
// plain http on port 80 (its default), then on 5580 (where the app hosts one without root), then
// https on 443 (a TLS proxy in front). The signed license and the fingerprint the user confirms are
// what make a server trusted, never the transport, so trying plain http first gives nothing away
// (docs/decisions.md, "One reading of a server address").
// Pure: no I/O and no Node modules, so the renderer may use it too.
import type { Checked } from './validate.js';

/** hnet-server's default dashboard port (`--http 0.0.0.0:80`). */
export const DASHBOARD_PORT = 80;
/** The dashboard of a server the app hosts without root (local-stack-args.ts, UNPRIVILEGED_PORTS). */
export const HOSTED_DASHBOARD_PORT = 5580;
/** Where https:// is answered when no port is given. */
export const HTTPS_PORT = 443;
const MAX_LENGTH = 2048;

export interface ServerAddress {
  /**
   * The address as typed, tidied (lower case, IPv6 in brackets, no trailing slash): parsing it again
   * gives the same address, so it is what travels in the control call and what messages quote.
   */
  text: string;
  /** Base URLs (no trailing slash), tried in this order; the first that serves a license is the server. */
  candidates: string[];
}

const EXAMPLES = 'for example 192.168.1.20, server.example:5580, [fd00::1] or https://hnet.example.com';
const refuse = (sentence: string): Checked<never> => ({ ok: false, error: sentence });
const quoted = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
const notAnAddress = (input: string, why: string): Checked<never> =>
  refuse(
    `${quoted(input)} is not a server address: ${why}. Type the address the server's owner gave you, ${EXAMPLES}.`,
  );

// Spaces, control characters, backslashes (URL parsers read "\" as "/") and the invisible
// characters that make text look like something else.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const FORBIDDEN = /[\s\\\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const WITH_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
// "mailto:x" or "javascript:x" — but not "host:5580", which is a host and a port, nor "fd00::…",
// the start of an IPv6 address.
const OTHER_SCHEME = /^([a-z][a-z0-9+-]*):(?!\d*(?:[/?#]|$)|:)/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
// WHATWG URL reads a host whose last label is a number as IPv4 ("1.2.3" becomes 1.2.0.3, "010" is
// octal): such a host must be a plain dotted quad, or it is refused rather than silently reread.
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:0x[0-9a-f]*|\d+)\.?$/i;
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A DNS name as the URL parser left it (lower case, punycode), label by label. */
function isDnsName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

function isIpv6(text: string): boolean {
  try {
    return new URL(`http://[${text}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

interface Parts {
  scheme: 'http' | 'https' | undefined;
  /** As typed: IPv6 without brackets. */
  host: string;
  port: number | undefined;
  path: string;
}

/** Splits the text into scheme, host, port and path, or says what is wrong with it. */
function split(input: string): Checked<Parts> {
  let rest = input;
  let scheme: Parts['scheme'];
  const schemeMatch = WITH_SCHEME.exec(rest);
  if (schemeMatch) {
    const name = schemeMatch[1]!.toLowerCase();
    if (name !== 'http' && name !== 'https')
      return notAnAddress(input, `hnet reaches servers over http:// or https://, not ${name}://`);
    scheme = name;
    rest = rest.slice(schemeMatch[0].length);
  } else if (!rest.startsWith('[') && (rest.match(/:/g)?.length ?? 0) >= 2 && isIpv6(rest)) {
    // A bare IPv6 address. "fd00::1:5580" is one too: a port needs brackets, [fd00::1]:5580.
    return { ok: true, value: { scheme, host: rest, port: undefined, path: '' } };
  } else if (/^https?:/i.test(rest)) {
    return notAnAddress(input, 'after "http:" or "https:" come two slashes, as in http://server.example');
  } else {
    const other = OTHER_SCHEME.exec(rest);
    if (other) return notAnAddress(input, `hnet reaches servers over http:// or https://, not ${other[1]}:`);
  }
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const path = end === -1 ? '' : rest.slice(end);
  if (/[?#]/.test(path))
    return notAnAddress(input, 'a server address has no "?" or "#" part; leave out everything from there on');
  if (authority.includes('@'))
    return notAnAddress(input, 'a server address carries no user name or password');
  let host = authority;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(authority);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!isIpv6(host)) return notAnAddress(input, `${quoted(`[${host}]`)} is not an IPv6 address`);
  } else if (authority.includes('[') || authority.includes(']')) {
    return notAnAddress(input, 'an IPv6 address goes in brackets, with the port after them: [fd00::1]:5580');
  } else {
    const colons = authority.split(':').length - 1;
    if (colons > 1)
      return notAnAddress(
        input,
        'an IPv6 address with a port or a scheme goes in brackets: http://[fd00::1]:5580',
      );
    if (colons === 1) [host, portText] = authority.split(':') as [string, string];
  }
  if (host === '') return notAnAddress(input, 'it names no host');
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535))
      return notAnAddress(input, `the port must be a number from 1 to 65535, not ${quoted(portText)}`);
  }
  return { ok: true, value: { scheme, host, port, path } };
}

/** Reads what a person typed as a server's address; a refusal is a sentence saying what to type. */
export function parseServerAddress(typed: string): Checked<ServerAddress> {
  const input = typed.trim();
  if (input === '') return refuse(`Type the server's address, ${EXAMPLES}.`);
  if (input.length > MAX_LENGTH)
    return refuse(
      `That is not a server address: it is ${input.length} characters long (at most ${MAX_LENGTH}).`,
    );
  if (FORBIDDEN.test(input))
    return notAnAddress(input, 'it contains a space, a backslash or an invisible character');
  const parts = split(input);
  if (!parts.ok) return parts;
  const { scheme, port, path } = parts.value;
  const ipv6 = isIpv6(parts.value.host);
  if (!ipv6 && NUMERIC_LAST_LABEL.test(parts.value.host) && !IPV4.test(parts.value.host))
    return notAnAddress(
      input,
      `${quoted(parts.value.host)} is not an IPv4 address (four numbers from 0 to 255, like 192.168.1.20)`,
    );
  let url: URL;
  try {
    url = new URL(`http://${ipv6 ? `[${parts.value.host}]` : parts.value.host}${path}`);
  } catch {
    return notAnAddress(input, `${quoted(parts.value.host)} is not a host name or IP address`);
  }
  const host = url.hostname;
  if (!ipv6 && !IPV4.test(host) && !isDnsName(host))
    return notAnAddress(input, `${quoted(parts.value.host)} is not a host name or IP address`);
  const tail = url.pathname.replace(/\/+$/, '');
  const at = (protocol: 'http' | 'https', onPort: number | undefined): string => {
    const standard = protocol === 'https' ? HTTPS_PORT : DASHBOARD_PORT;
    return `${protocol}://${host}${onPort === undefined || onPort === standard ? '' : `:${onPort}`}${tail}`;
  };
  if (scheme) return { ok: true, value: { text: at(scheme, port), candidates: [at(scheme, port)] } };
  const text = `${host}${port === undefined ? '' : `:${port}`}${tail}`;
  if (port !== undefined)
    return { ok: true, value: { text, candidates: [at(port === HTTPS_PORT ? 'https' : 'http', port)] } };
  return {
    ok: true,
    value: {
      text,
      candidates: [at('http', DASHBOARD_PORT), at('http', HOSTED_DASHBOARD_PORT), at('https', HTTPS_PORT)],
    },
  };
}
