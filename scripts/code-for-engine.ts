// Where hnetd is started from, for the supervisor (run-supervised.ts). hnetd gives up root for its
// user before it loads most of its code, so that user must be able to read the checkout. A clone
// in /root is closed to it: rather than open /root, root bind-mounts the checkout read-only at a
// path of its own that the user may enter, and hnetd runs from there (docs/decisions.md, "A checkout
// other users cannot read is bind-mounted for the engine").
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { reachableBy, resolveEngineUser } from '../src-main/cli/drop-privileges.js';
import { errorText, failure, success, type Outcome } from '../src-main/contract/errors.js';

/**
 * Root's, entered only by the engine's group (mode 710): the checkout was closed to other local
 * users and stays so; the engine's user reads through it and can change nothing. Not inside
 * /run/hnet, which hnetd makes its user's for its socket.
 */
const ENGINE_CODE_DIR = '/run/hnet-app';
export const ENGINE_CODE_MOUNT = join(ENGINE_CODE_DIR, 'code');

export interface EngineCode {
  /** The folder hnetd is started from: the checkout itself, or the mount of it. */
  path: string;
  /** One line for the supervisor's block when the checkout is mounted; undefined when it is not. */
  note: string | undefined;
  /** Removes the mount (a no-op without one); a failure says what to run by hand. */
  release(): Promise<Outcome<void>>;
}

/** The first line a command printed on stderr when it failed, or undefined when it succeeded. */
function fails(command: string, argv: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, argv, { timeout: 10_000 }, (error, _stdout, stderr) =>
      resolve(error ? stderr.trim().split('\n')[0] || errorText(error) : undefined),
    );
  });
}

async function mounted(path: string): Promise<boolean> {
  // Field 5 of each line is where a mount is attached (our path has no characters mountinfo escapes).
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[4] === path);
}

/** Unmounts every mount on `path`: one a killed run left behind is replaced, never reused blindly. */
async function unmountAll(path: string): Promise<Outcome<void>> {
  while (await mounted(path)) {
    const error = await fails('umount', [path]);
    if (error !== undefined)
      return failure(
        'BadState',
        `cannot unmount ${path} (${error}); stop what uses it and run "umount ${path}"`,
      );
  }
  return success(undefined);
}

const release = async (): Promise<Outcome<void>> => {
  const unmounted = await unmountAll(ENGINE_CODE_MOUNT);
  if (unmounted.ok)
    for (const folder of [ENGINE_CODE_MOUNT, ENGINE_CODE_DIR]) await rmdir(folder).catch(() => undefined);
  return unmounted;
};

/** The mount point, in a folder only root and `gid` may enter; a failure's sentence, else undefined. */
async function prepareMountPoint(gid: number): Promise<string | undefined> {
  try {
    await mkdir(ENGINE_CODE_DIR, { recursive: true, mode: 0o710 });
    await chown(ENGINE_CODE_DIR, 0, gid);
    await chmod(ENGINE_CODE_DIR, 0o710);
    await mkdir(ENGINE_CODE_MOUNT, { recursive: true, mode: 0o755 });
    return undefined;
  } catch (error) {
    return errorText(error);
  }
}

/**
 * The checkout when `userSpec` can read it; otherwise the checkout mounted read-only for it. Where
 * the mount cannot be made (no CAP_SYS_ADMIN, as in many containers) the answer says to clone hnet
 * where other users can read it.
 */
export async function engineCode(folder: string, userSpec: string): Promise<Outcome<EngineCode>> {
  const checkout = resolve(folder);
  const user = await resolveEngineUser(userSpec);
  if (!user.ok) return user;
  if (await reachableBy(checkout, user.value))
    return success({ path: checkout, note: undefined, release: async () => success(undefined) });

  const closed = `hnetd runs as ${user.value.description}, who cannot read hnet's files in ${checkout}`;
  const elsewhere =
    'keep hnet where other users can read it, for example: git clone <this repository> /opt/hnet';
  const left = await unmountAll(ENGINE_CODE_MOUNT);
  if (!left.ok) return left;
  const prepared = await prepareMountPoint(user.value.gid);
  const error = prepared ?? (await fails('mount', ['--bind', '-o', 'ro', checkout, ENGINE_CODE_MOUNT]));
  if (error !== undefined) {
    await release();
    return failure('BadState', `${closed}, and root cannot mount it for that user (${error}); ${elsewhere}`);
  }
  // The checkout's own folder may be closed too (mode 700): then the mount does not help.
  if (!(await reachableBy(ENGINE_CODE_MOUNT, user.value))) {
    await release();
    return failure(
      'BadState',
      `${closed}, not even through a mount (the folder itself is closed); ${elsewhere}`,
    );
  }
  return success({
    path: ENGINE_CODE_MOUNT,
    note: `${checkout} is closed to ${user.value.description}: hnetd reads it through a read-only mount at ${ENGINE_CODE_MOUNT}, removed on stop`,
    release,
  });
}
