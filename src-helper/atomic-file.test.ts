import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmod,
  chown,
  mkdtemp,
  open,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { journalPath, recoverJournal, replaceFile } from './atomic-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hnet-atomic-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const journal = (data: string): Buffer =>
  Buffer.from(`hnet-journal-v1 ${data.length} ${createHash('sha256').update(data).digest('hex')}\n${data}`);

test('a replaced file has the new content and no temp file is left', async () => {
  const file = join(dir, 'plain');
  await writeFile(file, 'old');
  assert.equal(await replaceFile(file, Buffer.from('new content')), 'renamed');
  assert.equal(await readFile(file, 'utf8'), 'new content');
  assert.deepEqual(await readdir(dir), ['plain']);
});

test('a regular file is replaced by a new one, never rewritten in place: a reader of the old one reads all of it', async (t) => {
  // What a program resolving a name meanwhile would see of /etc/hosts: the old file or the new one.
  const file = join(dir, 'hosts');
  t.after(() => rm(file, { force: true }));
  const old = `127.0.0.1 localhost\n${'192.0.2.1 padding\n'.repeat(500)}`;
  const next = '127.0.0.1 localhost\nfc94::1 alpha # managed by hnet\n';
  await writeFile(file, old);
  const { ino } = await stat(file);
  const reader = await open(file, 'r');
  t.after(() => reader.close());
  await replaceFile(file, Buffer.from(next));
  assert.equal(await reader.readFile('utf8'), old, 'the old file changed under a reader that had it open');
  assert.notEqual(
    (await stat(file)).ino,
    ino,
    'the path still leads to the old file: it was written in place',
  );
  assert.equal(await readFile(file, 'utf8'), next);
});

test('a crash during an in-place write is completed from the journal at the next start', async () => {
  const file = join(dir, 'torn');
  await writeFile(file, 'new contold content that was longer');
  await writeFile(await journalPath(file), journal('new content'));
  assert.equal(await recoverJournal(file), true);
  assert.equal(await readFile(file, 'utf8'), 'new content');
  assert.deepEqual(await readdir(dir), ['plain', 'torn']);
});

test('a journal cut short by the crash is discarded and the file left as it was', async () => {
  const file = join(dir, 'early');
  await writeFile(file, 'old content');
  const cutShort = await journalPath(file);
  await writeFile(cutShort, journal('new content').subarray(0, 80));
  assert.equal(await recoverJournal(file), false);
  assert.equal(await readFile(file, 'utf8'), 'old content');
  assert.ok(!(await readdir(dir)).some((name) => join(dir, name) === cutShort));
});

test('a replaced file keeps its mode and owner', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('giving a file to another user needs root');
  const file = join(dir, 'owned');
  await writeFile(file, 'old');
  await chown(file, 1234, 5678);
  await chmod(file, 0o640);
  assert.equal(await replaceFile(file, Buffer.from('new')), 'renamed');
  const info = await stat(file);
  assert.deepEqual([info.uid, info.gid, info.mode & 0o7777], [1234, 5678, 0o640]);
  assert.equal(await readFile(file, 'utf8'), 'new');
  await rm(file);
});

test('the journal is named for the file the path leads to, not only for the path', async () => {
  // Helpers in several mount namespaces see their own file at /etc/hosts but share /etc: each must
  // keep its own journal there. Here one path leads to two files in turn.
  const file = join(dir, 'hosts');
  await writeFile(file, 'one namespace');
  const first = await journalPath(file);
  await writeFile(`${file}.other`, 'another namespace');
  await rename(`${file}.other`, file);
  assert.notEqual(await journalPath(file), first);
  await rm(file);
});
