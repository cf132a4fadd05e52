// The engine never runs as root (docs/decisions.md, "Threat model"): it parses whatever the network
// sends, so a bug in it must not be a bug in a root process. Under systemd it is started as its own
// user (hnetd.service, User=hnet). Started by root anyway (a checkout, a container, a hand-written
// unit), hnetd makes its state folder and socket folder its user's, as systemd's StateDirectory=
// and RuntimeDirectory= would, then gives up root for good, before it reads a key or opens a socket.
// The default user, hnet, is created as the package would create it when it is missing; a user
// named in the settings must exist.
import { execFile } from 'node:child_process';
import { lchown, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorText, failure, success, type Outcome } from '../contract/errors.js';

/** Who hnetd runs as when root starts it: a user name, or `uid:gid[:group,…]`. */
export interface EngineUser {
  description: string;
  uid: number;
  gid: number;
  /** Supplementary groups, the primary one among them. */
  groups: number[];
}

const NUMERIC = /^(\d{1,10}):(\d{1,10})(?::(\d{1,10}(?:,\d{1,10})*))?$/;

const createUser = (name: string) =>
  `create it ("useradd --system --user-group --home-dir /var/lib/hnet --shell /usr/sbin/nologin ${name}") ` +
  'or name another with HNET_USER or "user" in hnetd.json (a user name or uid:gid)';

/** What a command prints, or undefined when it fails (no such user, no such command). */
function output(command: string, argv: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, argv, { timeout: 5_000 }, (error, stdout) =>
      resolve(error ? undefined : stdout.trim()),
    );
  });
}

/** The system user hnetd.service runs as, with its group (the one the root helper admits). */
export const DEFAULT_ENGINE_USER = 'hnet';

/** As the package's postinst makes it: a system user in its own hnet group, no home, no shell. */
async function createDefaultUser(): Promise<boolean> {
  const name = DEFAULT_ENGINE_USER;
  if (
    (await output('getent', ['group', name])) === undefined &&
    (await output('groupadd', ['--system', name])) === undefined
  )
    return false;
  const args = [
    '--system',
    '--gid',
    name,
    '--home-dir',
    '/var/lib/hnet',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    name,
  ];
  return (await output('useradd', args)) !== undefined;
}

/** Who `spec` is; the default user is created first when it is missing (`created` says so). */
export async function resolveEngineUser(spec: string): Promise<Outcome<EngineUser & { created?: true }>> {
  const found = await lookUpEngineUser(spec);
  if (found.ok || spec !== DEFAULT_ENGINE_USER || !(await createDefaultUser())) return found;
  const created = await lookUpEngineUser(spec);
  return created.ok ? success({ ...created.value, created: true }) : created;
}

async function lookUpEngineUser(spec: string): Promise<Outcome<EngineUser>> {
  const numeric = NUMERIC.exec(spec);
  if (numeric) {
    const [uid, gid] = [Number(numeric[1]), Number(numeric[2])];
    const extra = numeric[3]?.split(',').map(Number) ?? [];
    if (uid === 0)
      return failure(
        'BadConfig',
        `hnetd must not run as root, and "${spec}" names uid 0; ${createUser('hnet')}`,
      );
    return success({ description: spec, uid, gid, groups: [gid, ...extra] });
  }
  // Through the system's name service (getent, id), so users from LDAP and the like count too.
  const entry = await output('getent', ['passwd', spec]);
  const fields = entry?.split(':');
  if (!fields || fields.length < 4 || fields[0] !== spec)
    return failure(
      'BadConfig',
      `hnetd will not run as root, and its user "${spec}" does not exist; ${createUser(spec)}`,
    );
  const [uid, gid] = [Number(fields[2]), Number(fields[3])];
  if (uid === 0)
    return failure('BadConfig', `hnetd must not run as root, and "${spec}" is uid 0; ${createUser('hnet')}`);
  const groups = (await output('id', ['-G', spec]))?.split(/\s+/).map(Number) ?? [gid];
  return success({ description: spec, uid, gid, groups });
}

/** Every entry below `path`, without following links, owned by the user from now on. */
async function chownTree(path: string, user: EngineUser): Promise<void> {
  await lchown(path, user.uid, user.gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), user);
}

/**
 * The state folder, made for the user if missing. One left by an engine that ran as root (before
 * hnetd dropped privileges) is handed over; one owned by anybody else is refused, never taken.
 */
async function prepareStateDir(path: string, user: EngineUser): Promise<Outcome<void>> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chownTree(path, user);
    return success(undefined);
  }
  if (!info.isDirectory())
    return failure('BadState', `${path} is not a folder; move it away or set HNET_STATE_DIR`);
  if (info.uid === user.uid) return success(undefined);
  if (info.uid !== 0)
    return failure(
      'BadState',
      `${path} belongs to uid ${info.uid}, not to ${user.description}; fix its owner`,
    );
  await chownTree(path, user);
  return success(undefined);
}

/** The control socket's folder, made for the user if missing; an existing one is left as it is. */
async function prepareSocketDir(path: string, user: EngineUser): Promise<void> {
  if (await lstat(path).catch(() => undefined)) return;
  await mkdir(path, { recursive: true, mode: 0o755 });
  await lchown(path, user.uid, user.gid);
}

export interface Folders {
  stateDir: string;
  controlSocket: string;
  /** hnet's own files (its modules, addons and UI), which the engine loads as it goes. */
  code: string;
}

/** Whether `user` may enter `path` and every folder above it, and read it. */
export async function reachableBy(path: string, user: EngineUser): Promise<boolean> {
  const allows = async (folder: string, bits: number): Promise<boolean> => {
    const info = await stat(folder);
    if (info.uid === user.uid) return (info.mode & (bits << 6)) === bits << 6;
    if (user.groups.includes(info.gid)) return (info.mode & (bits << 3)) === bits << 3;
    return (info.mode & bits) === bits;
  };
  if (!(await allows(path, 0o5))) return false;
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    if (!(await allows(folder, 0o1))) return false;
    if (folder === dirname(folder)) return true;
  }
}

/** Prepares the folders, then switches this process to `user` for good. Only for uid 0. */
export async function becomeEngineUser(user: EngineUser, folders: Folders): Promise<Outcome<void>> {
  try {
    if (!(await reachableBy(folders.code, user)))
      return failure(
        'BadState',
        `hnetd runs as ${user.description}, who cannot read hnet's files in ${folders.code}; keep hnet where other users can read it (for example /opt/hnet), or run hnetd as a user who can (HNET_USER)`,
      );
    const state = await prepareStateDir(folders.stateDir, user);
    if (!state.ok) return state;
    await prepareSocketDir(dirname(folders.controlSocket), user);
    process.setgroups!(user.groups);
    process.setgid!(user.gid);
    process.setuid!(user.uid);
  } catch (error) {
    return failure('BadState', `hnetd could not switch to ${user.description}: ${errorText(error)}`);
  }
  // setuid as root sets the real, effective and saved ids: there is no way back to root.
  if (process.getuid!() !== user.uid || process.geteuid!() !== user.uid)
    return failure('BadState', `hnetd is still not running as ${user.description}`);
  return success(undefined);
}
