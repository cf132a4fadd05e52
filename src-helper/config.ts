// The helper's configuration file (default /etc/hnet/helper.json), root-owned like the helper:
//   { "group": "hnet", "uids": [1000], "socketPath": …, "hostsFile": …, "stateFile": … }
// Who may call the helper: root, members of `group` (supplementary groups count) and `uids`; a file
// that names neither admits the hnet group where it exists (DEFAULT_GROUP).
// The socket file is root:<group> 0660 (or, with no group, owned by the one allowed uid, 0600), so
// only they can even connect; peer credentials are checked again on every connection.
// On Windows `sids` (user or group SIDs) play the part of group and uids, and `pipePath` names the
// control pipe; SYSTEM and Administrators are always allowed (pipe-security.ts).
import { readFile } from 'node:fs/promises';
import { isAbsolute, win32 } from 'node:path';
import {
  integer,
  list,
  object,
  optional,
  parsed,
  text,
  type Infer,
  type Validator,
} from '../src-shared/validate.js';
import { isSid } from './pipe-security.js';
import { DEFAULT_PIPE_PATH, DEFAULT_SOCKET_PATH } from './api/protocol.js';

/** Where the helper's files live unless its config says otherwise: Windows has no /etc or /run. */
export function defaultPaths(platform: NodeJS.Platform = process.platform): {
  config: string;
  hostsFile: string;
  stateFile: string;
} {
  if (platform === 'win32') {
    // A service's environment is the system's, so these name the machine's real folders.
    const programData = process.env['ProgramData'] ?? 'C:\\ProgramData';
    const systemRoot = process.env['SystemRoot'] ?? 'C:\\Windows';
    return {
      config: win32.join(programData, 'hnet', 'helper.json'),
      hostsFile: win32.join(systemRoot, 'System32', 'drivers', 'etc', 'hosts'),
      stateFile: win32.join(programData, 'hnet', 'helper-state.json'),
    };
  }
  return {
    config: '/etc/hnet/helper.json',
    hostsFile: '/etc/hosts',
    stateFile: '/run/hnet-helper/state.json',
  };
}

export const DEFAULT_CONFIG_PATH = defaultPaths().config;

export interface HelperConfig {
  socketPath: string;
  hostsFile: string;
  stateFile: string;
  /** gid whose members may call; undefined = root and `allowedUids` only. */
  allowedGid: number | undefined;
  allowedUids: number[];
  /** Windows: the control pipe. */
  pipePath: string;
  /** Windows: user and group SIDs that may call, besides SYSTEM and Administrators. */
  allowedSids: string[];
}

const absolutePath: Validator<string> = parsed('an absolute path', (value) =>
  isAbsolute(value) && !value.includes('\0') ? value : undefined,
);
// Local pipes only: a name under \\.\pipe\ without further backslashes.
const pipePath: Validator<string> = parsed('a pipe name like \\\\.\\pipe\\hnet-helper', (value) =>
  /^\\\\\.\\pipe\\[^\\\0]{1,200}$/.test(value) ? value : undefined,
);
const sid: Validator<string> = parsed('a SID like S-1-5-21-…-1001', (value) =>
  isSid(value) ? value : undefined,
);
const id = integer(0, 2 ** 32 - 2);
const groupRef: Validator<string | number> = (value, path) =>
  typeof value === 'number' ? id(value, path) : text({ nonEmpty: true, maxLength: 64 })(value, path);

const configFileValidator = object({
  group: optional(groupRef),
  uids: optional(list(id, 64)),
  socketPath: optional(absolutePath),
  hostsFile: optional(absolutePath),
  stateFile: optional(absolutePath),
  pipePath: optional(pipePath),
  sids: optional(list(sid, 64)),
});
type ConfigFile = Infer<typeof configFileValidator>;

/** gid of a group name, from /etc/group (Node has no getgrnam). */
export async function lookupGroup(name: string, groupFile = '/etc/group'): Promise<number | undefined> {
  const content = await readFile(groupFile, 'utf8');
  for (const line of content.split('\n')) {
    const [groupName, , gid] = line.split(':');
    if (groupName === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/** The group the package makes for hnetd (its user is in it): admitted when the config names no one. */
export const DEFAULT_GROUP = 'hnet';

async function resolveGroup(
  group: string | number | undefined,
  configPath: string,
  groupFile: string,
): Promise<number | undefined> {
  if (group === undefined || typeof group === 'number') return group;
  const gid = await lookupGroup(group, groupFile);
  if (gid === undefined) {
    throw new Error(
      `group "${group}" named in ${configPath} does not exist; create it with "groupadd ${group}"`,
    );
  }
  return gid;
}

/**
 * Reads the config; a missing file means defaults: standard paths, and root plus the members of
 * the hnet group where that group exists (hnetd's own user is one), else root only.
 */
export async function loadHelperConfig(path: string, groupFile = '/etc/group'): Promise<HelperConfig> {
  let file: ConfigFile = {};
  let content: string | undefined;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (content !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (error) {
      throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
    }
    const checked = configFileValidator(json, '');
    if (!checked.ok) throw new Error(`${path}: ${checked.error}`);
    file = checked.value;
  }
  // Without a group the socket can be owned by one allowed user only (server.ts).
  if (file.group === undefined && (file.uids?.length ?? 0) > 1) {
    throw new Error(`${path}: with several "uids", also name a "group" they belong to`);
  }
  const namesNoOne = file.group === undefined && file.uids === undefined;
  const defaultGid = namesNoOne
    ? await lookupGroup(DEFAULT_GROUP, groupFile).catch(() => undefined)
    : undefined;
  return {
    socketPath: file.socketPath ?? DEFAULT_SOCKET_PATH,
    hostsFile: file.hostsFile ?? defaultPaths().hostsFile,
    stateFile: file.stateFile ?? defaultPaths().stateFile,
    allowedGid: defaultGid ?? (await resolveGroup(file.group, path, groupFile)),
    allowedUids: file.uids ?? [],
    pipePath: file.pipePath ?? DEFAULT_PIPE_PATH,
    allowedSids: file.sids ?? [],
  };
}
