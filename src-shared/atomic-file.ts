// Files that must never be seen half-written (identity, whitelist, host table, and /etc/hosts via
// the root helper): write a temp file beside the target, fsync it, rename it over the target, then
// fsync the directory so the rename itself survives a power cut. The mode is set when the temp file
// is created, so a secret is never readable by others, not even for a moment.
//
// The root helper imports this module too, so it depends on nothing but Node.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileOwner {
  uid: number;
  gid: number;
}

/** Temp files are named after their target, so stale ones can be told apart from others' files. */
const tempPrefix = (path: string): string => `.${basename(path)}.hnet-`;

/**
 * Writes `path` (replacing it at once) with exactly `mode`, and `owner` when given (the caller must
 * be allowed to give files away, i.e. root). Throws what failed; the target is then untouched.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode: number,
  owner?: FileOwner,
): Promise<void> {
  const temp = join(dirname(path), `${tempPrefix(path)}${randomBytes(6).toString('hex')}.tmp`);
  await writeNewFile(temp, data, mode, owner);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Creates `path`, which must not exist yet, and fsyncs it; if any step fails it is removed again. */
export async function writeNewFile(
  path: string,
  data: string | Uint8Array,
  mode: number,
  owner?: FileOwner,
): Promise<void> {
  const file = await open(path, 'wx', mode);
  try {
    await file.writeFile(data);
    if (owner) await file.chown(owner.uid, owner.gid);
    // open() honours the umask; chmod makes the mode exactly what the caller asked for.
    await file.chmod(mode);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(path, { force: true });
    throw error;
  }
  await file.close();
}

/** Makes the creation, rename or removal of a file in `dir` survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Deletes the temp files beside `path` that a process killed between writing and renaming left. */
export async function removeStaleTempFiles(path: string): Promise<void> {
  const prefix = tempPrefix(path);
  for (const name of await readdir(dirname(path))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp'))
      await rm(join(dirname(path), name), { force: true });
  }
}

/**
 * Creates the directory (and parents) if needed with exactly `mode`. An existing directory we own
 * is brought to `mode` too (a state directory others can list leaks which files exist), unless it
 * is a shared sticky directory such as /tmp, which a mistaken setting must never lock up.
 */
export async function ensureDirectory(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  const info = await stat(path);
  if (!info.isDirectory()) throw new Error(`${path} exists and is not a directory`);
  const ours = info.uid === process.getuid?.();
  const sticky = (info.mode & 0o1000) !== 0;
  if (ours && !sticky && (info.mode & 0o777) !== mode) await chmod(path, mode);
}
