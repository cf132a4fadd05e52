// hnetd's settings: defaults for a headless machine, then the JSON config file, then environment
// variables (so tests and containers can move every path). Each setting is declared once below
// with its validator, its default and its environment variable.
import { readFile } from 'node:fs/promises';
import { hostname as systemHostname } from 'node:os';
import { DEFAULT_PIPE_PATH, DEFAULT_SOCKET_PATH } from '../../../src-helper/api/protocol.js';
import { failure, success, type Outcome, errorText } from '../../contract/errors.js';
import { hostnameValidator } from '../../contract/names.js';
import {
  integer,
  list,
  object,
  oneOf,
  optional,
  parsed,
  type Validator,
} from '../../../src-shared/validate.js';
import type { LogLevel } from '../log.js';

export const DEFAULT_CONFIG_FILE = '/etc/hnet/hnetd.json';

// host, host:port, IPv4:port or [IPv6]:port — what a user copies from a server's setup page.
const SERVER = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$|^[0-9A-Fa-f:.]{2,45}$/;
const baseServer = parsed('a server as host, host:port or [IPv6]:port', (value) =>
  SERVER.test(value) ? value : undefined,
);
const absolutePath = parsed('an absolute path', (value) => (value.startsWith('/') ? value : undefined));
// A login name as useradd takes it, or uid:gid with optional supplementary groups (no passwd entry needed).
const engineUser = parsed('a user name or uid:gid', (value) =>
  /^[a-z_][a-z0-9_-]{0,31}$/.test(value) || /^\d{1,10}:\d{1,10}(?::\d{1,10}(?:,\d{1,10})*)?$/.test(value)
    ? value
    : undefined,
);

const settings = {
  stateDir: { check: absolutePath, env: 'HNET_STATE_DIR', fallback: () => '/var/lib/hnet' },
  controlSocket: {
    check: absolutePath,
    env: 'HNET_CONTROL_SOCKET',
    fallback: () => '/run/hnet/control.sock',
  },
  helperSocket: {
    check: absolutePath,
    env: 'HNET_HELPER_SOCKET',
    // Windows has no Unix sockets for this: the helper listens on a named pipe there.
    fallback: (): string => (process.platform === 'win32' ? DEFAULT_PIPE_PATH : DEFAULT_SOCKET_PATH),
  },
  baseServers: { check: list(baseServer, 16), env: 'HNET_BASE_SERVERS', fallback: (): string[] => [] },
  udpPort: { check: integer(1, 65535), env: 'HNET_UDP_PORT', fallback: () => 5582 },
  hostname: { check: hostnameValidator, env: 'HNET_HOSTNAME', fallback: () => systemHostname() },
  // 'off' keeps every packet in JavaScript: for comparing the two paths, and a way out if the
  // native data lane ever misbehaves somewhere.
  dataLane: {
    check: oneOf(['on', 'off'] as const),
    env: 'HNET_DATA_LANE',
    fallback: (): 'on' | 'off' => 'on',
  },
  // 'off' has the kernel hand hnet0's packets and the socket's datagrams over one by one instead
  // of in 64 KB segments (TSO, USO, UDP GSO and GRO): for comparing, and a way out should a
  // kernel's offloads misbehave.
  offloads: {
    check: oneOf(['on', 'off'] as const),
    env: 'HNET_OFFLOADS',
    fallback: (): 'on' | 'off' => 'on',
  },
  // 'on' asks the home router (PCP, NAT-PMP, UPnP IGD) to forward a public port to udpPort; 'off'
  // leaves peers behind strict NATs to the base's relay, as before there was a port mapper.
  portMapping: {
    check: oneOf(['on', 'off'] as const),
    env: 'HNET_PORT_MAPPING',
    fallback: (): 'on' | 'off' => 'on',
  },
  // Who hnetd becomes when root starts it: the engine never runs as root (drop-privileges.ts).
  user: { check: engineUser, env: 'HNET_USER', fallback: () => 'hnet' },
  logLevel: {
    check: oneOf(['debug', 'info', 'warn', 'error'] as const),
    env: 'HNET_LOG_LEVEL',
    fallback: (): LogLevel => 'info',
  },
} satisfies Record<string, { check: Validator<unknown>; env: string; fallback: () => unknown }>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['fallback']> };
/**
 * What the engine itself reads: `user` matters to hnetd only, before the engine starts. An engine
 * started without `portMapping` (websetup's node, tests) asks no router for anything; without
 * `offloads`, it uses them.
 */
export type EngineConfig = Omit<Config, 'user' | 'portMapping' | 'offloads'> &
  Partial<Pick<Config, 'portMapping' | 'offloads'>>;

const fileSchema = object(
  Object.fromEntries(
    Object.entries(settings).map(([key, s]) => [key, optional(s.check as Validator<unknown>)]),
  ),
);

// Environment values are text; lists are comma-separated, numbers decimal.
function fromEnvironment(key: keyof Settings, raw: string): unknown {
  if (key === 'baseServers')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  if (key === 'udpPort') return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  return raw;
}

export interface ConfigSource {
  /** An explicitly named file must exist; the default one may be absent. */
  file?: string;
  env: Record<string, string | undefined>;
}

export async function loadConfig(source: ConfigSource): Promise<Outcome<Config>> {
  const file = source.file ?? source.env['HNET_CONFIG'] ?? DEFAULT_CONFIG_FILE;
  const explicit = source.file !== undefined || source.env['HNET_CONFIG'] !== undefined;
  let fromFile: Partial<Config> = {};
  let content: string | undefined;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing || explicit)
      return failure('BadConfig', `cannot read config file ${file}: ${errorText(error)}`);
  }
  if (content !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (error) {
      return failure('BadConfig', `config file ${file} is not valid JSON: ${errorText(error)}`);
    }
    const checked = fileSchema(json, '');
    if (!checked.ok) return failure('BadConfig', `config file ${file}: ${checked.error}`);
    fromFile = checked.value as Partial<Config>;
  }
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [keyof Settings, Settings[keyof Settings]][]) {
    const raw = source.env[setting.env];
    if (raw !== undefined && raw !== '') {
      const checked = (setting.check as Validator<unknown>)(fromEnvironment(key, raw), setting.env);
      if (!checked.ok) return failure('BadConfig', `environment: ${checked.error}`);
      config[key] = checked.value;
    } else {
      config[key] = fromFile[key] ?? setting.fallback();
    }
  }
  return success(config as Config);
}

/** The environment variable behind each setting, for `--help` texts. */
export const configEnvironment: Readonly<Record<keyof Config, string>> = Object.fromEntries(
  Object.entries(settings).map(([key, s]) => [key, s.env]),
) as Record<keyof Config, string>;
