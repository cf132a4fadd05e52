// The base server's settings and how `hnet-server base` command-line options turn into them.
import { parseArgs } from 'node:util';
import { makeEndpoint, parseEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import { defaultLimits, type BaseLimits } from './limits.js';

export const DEFAULT_TCP_PORT = 443;
export const DEFAULT_UDP_PORT = 5582;
export const DEFAULT_METRICS_PORT = 9582;
/** STATE has room for five base UDP endpoints. */
const MAX_UDP_LISTENERS = 5;

export interface BaseServerConfig {
  /** TCP listen addresses (port 0 picks a free port). */
  tcp: Endpoint[];
  /** UDP listen addresses, in STATE order: NAT_OK always leaves from the first. */
  udp: Endpoint[];
  /**
   * The public IP written into STATE. Unset: a UDP socket bound to one IP advertises that IP, a
   * wildcard one advertises the address the client reached over TCP.
   */
  advertiseIp: string | undefined;
  /**
   * The extra UDP socket that answers hnet's netcheck probe (netcheck-reflector.ts), never named in
   * STATE. Unset: on the first UDP address's IP, at a port the kernel picks (the probe's answers
   * name it); null: none.
   */
  netcheckUdp?: Endpoint | null;
  /** Where /metrics and /status are served over HTTP; unset turns them off. */
  metrics: Endpoint | undefined;
  limits: BaseLimits;
  /**
   * Several bases as one: the PostgreSQL database they share as their registry, and the IP the
   * others reach this one at (unset: the advertised IP, else the first UDP address's).
   */
  cluster?: { database: string; ip: string | undefined } | undefined;
}

export type ConfigErrorKind = 'BadOption' | 'BadValue';
export interface ConfigError {
  kind: ConfigErrorKind;
  message: string;
}
type ConfigResult<T> = { ok: true; value: T } | { ok: false; error: ConfigError };

const bad = (kind: ConfigErrorKind, message: string): { ok: false; error: ConfigError } => ({
  ok: false,
  error: { kind, message },
});

export const baseUsage = `Usage: hnet-server base [options]

Runs the base server: peers register over TCP, punch NAT holes over UDP, and relay data through it.

  --tcp HOST:PORT        TCP listen address, repeatable (default 0.0.0.0:${DEFAULT_TCP_PORT})
  --udp HOST:PORT        UDP listen address, repeatable up to ${MAX_UDP_LISTENERS}; the first answers NAT_INIT
                         (default 0.0.0.0:${DEFAULT_UDP_PORT})
  --advertise IP         public IP announced in STATE (default: the address the client reached)
  --netcheck-udp HOST:PORT
                         a second UDP address, never announced in STATE, where "hnet netcheck" compares
                         what two ports see of a device's NAT (default: the first --udp's IP, any port)
  --no-netcheck-udp      no second UDP address (hnet netcheck then cannot judge NAT mapping)
  --metrics HOST:PORT    HTTP /metrics (Prometheus) and /status (JSON) (default 127.0.0.1:${DEFAULT_METRICS_PORT})
  --no-metrics           do not serve metrics
  --max-connections N    TCP connections at once (default ${defaultLimits.maxConnections}, lowered to what the
                         open-file limit holds); when full, newcomers take slots from the busiest address
  --max-connections-per-source N
                         TCP connections at once from one IPv4 address or IPv6 /64 (default
                         ${defaultLimits.maxConnectionsPerSource}); devices behind one NAT share it
  --cluster URL          join the base cluster whose registry is this PostgreSQL database
                         (postgres://…); devices of every base of it reach each other
  --cluster-ip IP        where the other bases reach this one (default: --advertise, else the
                         first --udp's IP)
  --idle-timeout SECONDS close authenticated connections silent this long (default ${defaultLimits.idleTimeoutMs / 1000})
  --auth-timeout SECONDS close connections that do not authenticate in time (default ${defaultLimits.authTimeoutMs / 1000})
  --help                 show this text

A bare PORT means 0.0.0.0:PORT; write IPv6 hosts in brackets, e.g. [::]:443.`;

/** `HOST:PORT`, `[V6]:PORT` or a bare port on 0.0.0.0. */
export function parseListenAddress(text: string, option: string): ConfigResult<Endpoint> {
  const parsed = /^\d+$/.test(text) ? makeEndpoint('0.0.0.0', Number(text)) : parseEndpoint(text);
  if (!parsed.ok) return bad('BadValue', `${option} ${text}: ${parsed.error.message}`);
  return { ok: true, value: parsed.value };
}

function parseCount(text: string, option: string, min: number): ConfigResult<number> {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < min)
    return bad('BadValue', `${option} needs a number of at least ${min}, not "${text}".`);
  return { ok: true, value };
}

function listenAddresses(
  texts: string[] | undefined,
  fallback: Endpoint,
  option: string,
): ConfigResult<Endpoint[]> {
  if (!texts || texts.length === 0) return { ok: true, value: [fallback] };
  const out: Endpoint[] = [];
  for (const text of texts) {
    const parsed = parseListenAddress(text, option);
    if (!parsed.ok) return parsed;
    out.push(parsed.value);
  }
  return { ok: true, value: out };
}

/** The options of `hnet-server base`; the whole stack takes them too and passes them on. */
export const baseOptions = {
  tcp: { type: 'string', multiple: true },
  udp: { type: 'string', multiple: true },
  advertise: { type: 'string' },
  'netcheck-udp': { type: 'string' },
  'no-netcheck-udp': { type: 'boolean' },
  metrics: { type: 'string' },
  'no-metrics': { type: 'boolean' },
  'max-connections': { type: 'string' },
  'max-connections-per-source': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'auth-timeout': { type: 'string' },
  cluster: { type: 'string' },
  'cluster-ip': { type: 'string' },
} as const;

/** Parses the options after `hnet-server base`; `undefined` means --help was asked for. */
export function parseBaseOptions(argv: readonly string[]): ConfigResult<BaseServerConfig | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { ...baseOptions, help: { type: 'boolean' } },
    }));
  } catch (error) {
    return bad('BadOption', `${(error as Error).message}. Run "hnet-server base --help" for the options.`);
  }
  if (values.help) return { ok: true, value: undefined };

  const tcp = listenAddresses(values.tcp, { ip: '0.0.0.0', port: DEFAULT_TCP_PORT }, '--tcp');
  if (!tcp.ok) return tcp;
  const udp = listenAddresses(values.udp, { ip: '0.0.0.0', port: DEFAULT_UDP_PORT }, '--udp');
  if (!udp.ok) return udp;
  if (udp.value.length > MAX_UDP_LISTENERS)
    return bad(
      'BadValue',
      `STATE can announce at most ${MAX_UDP_LISTENERS} UDP addresses; give fewer --udp.`,
    );

  let advertiseIp: string | undefined;
  if (values.advertise !== undefined) {
    const parsed = makeEndpoint(values.advertise, 0);
    if (!parsed.ok) return bad('BadValue', `--advertise needs an IP address, not "${values.advertise}".`);
    advertiseIp = parsed.value.ip;
  }

  let netcheckUdp: Endpoint | null | undefined;
  if (values['no-netcheck-udp']) netcheckUdp = null;
  else if (values['netcheck-udp'] !== undefined) {
    const parsed = parseListenAddress(values['netcheck-udp'], '--netcheck-udp');
    if (!parsed.ok) return parsed;
    netcheckUdp = parsed.value;
  }

  let metrics: Endpoint | undefined;
  if (!values['no-metrics']) {
    const parsed = parseListenAddress(values.metrics ?? `127.0.0.1:${DEFAULT_METRICS_PORT}`, '--metrics');
    if (!parsed.ok) return parsed;
    metrics = parsed.value;
  }

  let cluster: BaseServerConfig['cluster'];
  if (values.cluster !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(values.cluster))
      return bad(
        'BadValue',
        `--cluster takes a postgres:// URL of the database the bases share, not "${values.cluster}".`,
      );
    let ip: string | undefined;
    if (values['cluster-ip'] !== undefined) {
      const parsed = makeEndpoint(values['cluster-ip'], 0);
      if (!parsed.ok)
        return bad('BadValue', `--cluster-ip needs an IP address, not "${values['cluster-ip']}".`);
      ip = parsed.value.ip;
    }
    cluster = { database: values.cluster, ip };
  } else if (values['cluster-ip'] !== undefined) return bad('BadOption', '--cluster-ip needs --cluster.');

  const limits: BaseLimits = { ...defaultLimits };
  const numeric: [string | undefined, string, number, (n: number) => void][] = [
    [values['max-connections'], '--max-connections', 1, (n) => (limits.maxConnections = n)],
    [
      values['max-connections-per-source'],
      '--max-connections-per-source',
      1,
      (n) => (limits.maxConnectionsPerSource = n),
    ],
    [values['idle-timeout'], '--idle-timeout', 1, (n) => (limits.idleTimeoutMs = n * 1000)],
    [values['auth-timeout'], '--auth-timeout', 1, (n) => (limits.authTimeoutMs = n * 1000)],
  ];
  for (const [text, option, min, apply] of numeric) {
    if (text === undefined) continue;
    const parsed = parseCount(text, option, min);
    if (!parsed.ok) return parsed;
    apply(parsed.value);
  }

  return {
    ok: true,
    value: {
      tcp: tcp.value,
      udp: udp.value,
      advertiseIp,
      ...(netcheckUdp === undefined ? {} : { netcheckUdp }),
      metrics,
      limits,
      ...(cluster ? { cluster } : {}),
    },
  };
}
