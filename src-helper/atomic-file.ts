// Replacing /etc/hosts so that a crash at any moment leaves either the old or the new content.
//
// Normal case: the shared atomic write (temp file, fsync, rename, directory fsync), with the
// original's mode and owner kept. rename() within one filesystem is atomic: readers see one version
// or the other, never a mix.
//
// Containers often bind-mount a single file (Docker's /etc/hosts); rename() over a mount point
// fails with EBUSY (or EXDEV). Then the only option is writing the file in place, which readers
// can briefly see half-written. To keep a crash from leaving it torn for good, the new content is
// first made durable as a journal next to it (header: length + SHA-256); the in-place write
// follows, and the journal is deleted once that is fsynced. recoverJournal(), run at helper start
// and before every write, completes a write a crash interrupted.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory, writeFileAtomic, writeNewFile, type FileOwner } from '../src-shared/atomic-file.js';

export type ReplaceMethod = 'renamed' | 'in-place';

/**
 * Next to the file, and named for the file's inode as well as its name: where several mount
 * namespaces bind-mount a file of their own over one path while sharing its directory (our lab,
 * containers sharing /etc), each helper's write keeps its own journal instead of deleting another's.
 */
export async function journalPath(path: string): Promise<string> {
  const { dev, ino } = await stat(path);
  return join(dirname(path), `.${basename(path)}.${dev}-${ino}.hnet-journal`);
}
const JOURNAL_MAGIC = 'hnet-journal-v1';

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/** The mode and owner to keep; a file that does not exist yet is created 0644 and owned by us. */
async function currentOwnership(path: string): Promise<{ mode: number; owner?: FileOwner }> {
  try {
    const info = await stat(path);
    return { mode: info.mode & 0o7777, owner: { uid: info.uid, gid: info.gid } };
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    return { mode: 0o644 };
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
  let journalFile: string;
  try {
    journalFile = await journalPath(path);
    journal = await readFile(journalFile);
  } catch (error) {
    // No file (nothing to recover into) or no journal.
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  const newline = journal.indexOf(0x0a);
  const data = journal.subarray(newline + 1);
  const complete = newline > 0 && journal.subarray(0, newline + 1).toString('latin1') === journalHeader(data);
  if (complete) await overwriteInPlace(path, data);
  await unlink(journalFile);
  return complete;
}

export async function replaceFile(path: string, data: Buffer): Promise<ReplaceMethod> {
  await recoverJournal(path);
  const { mode, owner } = await currentOwnership(path);
  try {
    await writeFileAtomic(path, data, mode, owner);
    return 'renamed';
  } catch (error) {
    if (errorCode(error) !== 'EBUSY' && errorCode(error) !== 'EXDEV') throw error;
  }
  const journal = await journalPath(path);
  await unlink(journal).catch(() => undefined);
  await writeNewFile(journal, Buffer.concat([Buffer.from(journalHeader(data), 'latin1'), data]), 0o600);
  await syncDirectory(dirname(path));
  await overwriteInPlace(path, data);
  await unlink(journal);
  await syncDirectory(dirname(path));
  return 'in-place';
}
