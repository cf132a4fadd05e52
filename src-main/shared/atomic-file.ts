// Files that must never be seen half-written (identity, whitelist, host table): write a temp file
// beside the target, fsync it, rename it over the target, then fsync the directory so the rename
// itself survives a power cut. The mode is set when the temp file is created, so a secret is never
// readable by others, not even for a moment.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    // open() honours the umask; chmod makes the mode exactly what the caller asked for.
    await file.chmod(mode);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
