// Replacing a file so that a crash at any moment leaves either the old or the new content.
//
// Normal case: write a temp file in the same directory, give it the original's mode and owner,
// fsync it, rename() it over the original, fsync the directory. rename() within one filesystem is
// atomic: readers see one version or the other, never a mix.
//
// Containers often bind-mount a single file (Docker's /etc/hosts); rename() over a mount point
// fails with EBUSY (or EXDEV). Then the only option is writing the file in place, which readers
// can briefly see half-written. To keep a crash from leaving it torn for good, the new content is
// first made durable as a journal next to it (header: length + SHA-256); the in-place write
// follows, and the journal is deleted once that is fsynced. recoverJournal(), run at helper start
// and before every write, completes a write a crash interrupted.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type ReplaceMethod = 'renamed' | 'in-place';

const tempPrefix = (path: string): string => `.${basename(path)}.hnet-`;
const journalPath = (path: string): string => join(dirname(path), `.${basename(path)}.hnet-journal`);
const JOURNAL_MAGIC = 'hnet-journal-v1';

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

interface Ownership {
  mode: number;
  uid: number;
  gid: number;
}

const ownedBySelf = (mode: number): Ownership => ({
  mode,
  uid: process.getuid?.() ?? 0,
  gid: process.getgid?.() ?? 0,
});

async function currentOwnership(path: string): Promise<Ownership> {
  try {
    const info = await stat(path);
    return { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    return ownedBySelf(0o644);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(path: string, data: Buffer, owner: Ownership): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(data);
    await handle.chown(owner.uid, owner.gid);
    await handle.chmod(owner.mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function overwriteInPlace(path: string, data: Buffer): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    // No O_TRUNC: truncating first would show readers an empty file for longer than needed.
    handle = await open(path, constants.O_WRONLY);
    await handle.write(data, 0, data.length, 0);
    await handle.truncate(data.length);
    await handle.sync();
  } finally {
    await handle?.close();
  }
}

const journalHeader = (data: Buffer): string =>
  `${JOURNAL_MAGIC} ${data.length} ${createHash('sha256').update(data).digest('hex')}\n`;

/** Finishes an in-place write that a crash interrupted; a torn or stale journal is discarded. */
export async function recoverJournal(path: string): Promise<boolean> {
  let journal: Buffer;
  try {
    journal = await readFile(journalPath(path));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  const newline = journal.indexOf(0x0a);
  const data = journal.subarray(newline + 1);
  const complete = newline > 0 && journal.subarray(0, newline + 1).toString('latin1') === journalHeader(data);
  if (complete) await overwriteInPlace(path, data);
  await unlink(journalPath(path));
  return complete;
}

/** Deletes temp files left by a helper killed between creating and renaming them. */
export async function removeStaleTempFiles(path: string): Promise<void> {
  const prefix = tempPrefix(path);
  for (const name of await readdir(dirname(path))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dirname(path), name));
  }
}

export async function replaceFile(path: string, data: Buffer): Promise<ReplaceMethod> {
  await recoverJournal(path);
  const owner = await currentOwnership(path);
  const temp = join(dirname(path), `${tempPrefix(path)}${randomBytes(6).toString('hex')}.tmp`);
  await writeDurably(temp, data, owner);
  try {
    await rename(temp, path);
    await syncDirectory(dirname(path));
    return 'renamed';
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (errorCode(error) !== 'EBUSY' && errorCode(error) !== 'EXDEV') throw error;
  }
  const journal = journalPath(path);
  await unlink(journal).catch(() => undefined);
  await writeDurably(
    journal,
    Buffer.concat([Buffer.from(journalHeader(data), 'latin1'), data]),
    ownedBySelf(0o600),
  );
  await syncDirectory(dirname(path));
  await overwriteInPlace(path, data);
  await unlink(journal);
  await syncDirectory(dirname(path));
  return 'in-place';
}
