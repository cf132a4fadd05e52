// Options of `hnet-server` (the whole stack), `hnet-server dashboard` and `hnet-server websetup`.
// The stack also takes every `hnet-server base` option and hands those to the base server's parser.
import { parseArgs } from 'node:util';
import { parseOverlayAddress, formatAddress } from '../src-protocol/address.js';
import { formatEndpoint, makeEndpoint, type Endpoint } from '../src-protocol/endpoint.js';
import { baseOptions, parseBaseOptions, parseListenAddress, type BaseServerConfig } from './base/config.js';

export type StackPart = 'base' | 'dashboard' | 'websetup';

export interface StackSettings {
  parts: ReadonlySet<StackPart>;
  stateDir: string;
  /** A `postgres://` URL, or undefined for SQLite in the state directory. */
  database: string | undefined;
  name: string;
  /** IPs devices reach the base servers at, written into license.json. */
  publicIps: string[];
  http: { host: string; port: number };
  dashboardUrl: string;
  /** More names the dashboard answers to, besides its addresses and dashboardUrl's host. */
  dashboardHosts: string[];
  allowSignup: boolean;
  /** Base servers the websetup node registers with (host:port, as hnetd takes them). */
  websetupBase: string[];
  websetupUdpPort: number;
  /** For a dashboard without websetup in the same process: websetup's address, if not in the state dir. */
  websetupAddress: string | undefined;
  base: BaseServerConfig | undefined;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export const DEFAULT_STATE_DIR = '/var/lib/hnet-server';
const DEFAULT_HTTP = '0.0.0.0:80';
const DEFAULT_WEBSETUP_UDP = 5583;

const ownOptions = {
  'state-dir': { type: 'string' },
  database: { type: 'string' },
  name: { type: 'string' },
  'public-ip': { type: 'string', multiple: true },
  http: { type: 'string' },
  'dashboard-url': { type: 'string' },
  'dashboard-host': { type: 'string', multiple: true },
  'allow-signup': { type: 'boolean' },
  'websetup-base': { type: 'string', multiple: true },
  'websetup-udp': { type: 'string' },
  'websetup-address': { type: 'string' },
  help: { type: 'boolean' },
} as const;

export function stackUsage(command: string, parts: ReadonlySet<StackPart>): string {
  const lines = [
    `Usage: ${command} [options]`,
    '',
    parts.size === 3
      ? 'Runs the whole hnet service in one process: base server, dashboard (with license.json) and websetup.'
      : parts.has('dashboard')
        ? 'Runs the dashboard (web UI, REST API, license.json) alone, beside a websetup node sharing its database.'
        : 'Runs the websetup node alone: it joins devices and pushes their whitelists and host names.',
    '',
    `  --state-dir DIR          keys, identities and the SQLite database (default ${DEFAULT_STATE_DIR})`,
    '  --database URL           postgres://… to keep the data in PostgreSQL instead of SQLite',
    '  --public-ip IP           the address devices reach the base server at, repeatable; goes into license.json',
  ];
  if (parts.has('dashboard'))
    lines.push(
      '  --name TEXT              the server name shown to users (default "hnet server")',
      `  --http HOST:PORT         dashboard and license.json (default ${DEFAULT_HTTP})`,
      '  --dashboard-url URL      the dashboard as users reach it (default http://<first public IP>)',
      '  --dashboard-host NAME    another name the dashboard is reached at (e.g. behind a proxy), repeatable;',
      '                           it answers only to its addresses, localhost and its URL otherwise',
      '  --allow-signup           let anyone create an account once the first one exists (that one needs',
      '                           the one-time setup link hnet-server prints while the server has no account)',
    );
  if (parts.has('dashboard') && !parts.has('websetup'))
    lines.push("  --websetup-address ADDR  websetup's fc94 address (default: read from the state directory)");
  if (parts.has('websetup'))
    lines.push(
      '  --websetup-base HOST:PORT the base server websetup registers with, repeatable (default: this one)',
      `  --websetup-udp PORT      first UDP port websetup tries for peer traffic (default ${DEFAULT_WEBSETUP_UDP})`,
    );
  if (parts.has('base'))
    lines.push(
      '',
      'Every "hnet-server base" option is accepted too (--tcp, --udp, --advertise, --metrics, …).',
    );
  return lines.join('\n');
}

const bad = (message: string): { ok: false; message: string } => ({ ok: false, message });

/**
 * Where the stack's websetup reaches the base server beside it: the address the base listens on,
 * or loopback when it listens on every address (a base bound to one IP does not answer on 127.0.0.1).
 */
function ownBaseAddress(listen: Endpoint): string {
  const loopback = listen.ip === '0.0.0.0' ? '127.0.0.1' : listen.ip === '::' ? '::1' : listen.ip;
  return formatEndpoint({ ip: loopback, port: listen.port });
}

/** Parses the options; `undefined` means --help was asked for. */
export function parseStackOptions(
  argv: readonly string[],
  parts: ReadonlySet<StackPart>,
  command: string,
): Parsed<StackSettings | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: parts.has('base') ? { ...ownOptions, ...baseOptions } : ownOptions,
    }));
  } catch (error) {
    return bad(`${(error as Error).message}. Run "${command} --help" for the options.`);
  }
  if (values.help) return { ok: true, value: undefined };

  let base: BaseServerConfig | undefined;
  if (parts.has('base')) {
    const passed: string[] = [];
    for (const name of Object.keys(baseOptions)) {
      const value = (values as Record<string, unknown>)[name];
      if (value === true) passed.push(`--${name}`);
      else if (typeof value === 'string') passed.push(`--${name}`, value);
      else if (Array.isArray(value)) for (const item of value as string[]) passed.push(`--${name}`, item);
    }
    const parsed = parseBaseOptions(passed);
    if (!parsed.ok) return bad(parsed.error.message);
    base = parsed.value;
  }

  const publicIps: string[] = [];
  for (const text of values['public-ip'] ?? (base?.advertiseIp ? [base.advertiseIp] : [])) {
    const ip = makeEndpoint(text, 0);
    if (!ip.ok) return bad(`--public-ip needs an IP address, not "${text}".`);
    publicIps.push(ip.value.ip);
  }
  if (parts.has('dashboard') && publicIps.length === 0)
    return bad(
      'Give --public-ip with the address devices reach the base server at; license.json must name it.',
    );

  const http = parseListenAddress(values.http ?? DEFAULT_HTTP, '--http');
  if (!http.ok) return bad(http.error.message);
  const firstIp = publicIps[0] ?? '127.0.0.1';
  const defaultUrl = `http://${firstIp.includes(':') ? `[${firstIp}]` : firstIp}${http.value.port === 80 ? '' : `:${http.value.port}`}`;
  const dashboardUrl = values['dashboard-url'] ?? defaultUrl;
  if (!/^https?:\/\/[^\s/]+/.test(dashboardUrl))
    return bad('--dashboard-url must start with http:// or https://.');

  const dashboardHosts = values['dashboard-host'] ?? [];
  const badHost = dashboardHosts.find((name) => !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.:-]{1,253})$/.test(name));
  if (badHost !== undefined)
    return bad(`--dashboard-host needs a host name or IP address, not "${badHost}".`);

  const udpText = values['websetup-udp'] ?? String(DEFAULT_WEBSETUP_UDP);
  const websetupUdpPort = Number(udpText);
  if (!/^\d+$/.test(udpText) || websetupUdpPort < 1 || websetupUdpPort > 65535)
    return bad(`--websetup-udp needs a port number, not "${udpText}".`);

  const ownBase = base?.tcp[0] ? [ownBaseAddress(base.tcp[0])] : [];
  const websetupBase =
    values['websetup-base'] ??
    (ownBase.length > 0 ? ownBase : publicIps.map((ip) => (ip.includes(':') ? `[${ip}]:443` : `${ip}:443`)));
  if (parts.has('websetup') && websetupBase.length === 0)
    return bad('Give --websetup-base with the base server websetup registers with (host:port).');

  let websetupAddress: string | undefined;
  if (values['websetup-address'] !== undefined) {
    const address = parseOverlayAddress(values['websetup-address']);
    if (!address)
      return bad(`--websetup-address needs an fc94 address, not "${values['websetup-address']}".`);
    websetupAddress = formatAddress(address);
  }

  const database = values.database;
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database))
    return bad(
      '--database takes a postgres:// URL; without it the data stays in SQLite in the state directory.',
    );

  return {
    ok: true,
    value: {
      parts,
      stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
      database,
      name: values.name ?? 'hnet server',
      publicIps,
      http: { host: http.value.ip, port: http.value.port },
      dashboardUrl,
      dashboardHosts,
      allowSignup: values['allow-signup'] ?? false,
      websetupBase,
      websetupUdpPort,
      websetupAddress,
      base,
    },
  };
}
