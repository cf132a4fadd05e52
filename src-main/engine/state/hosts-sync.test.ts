// What `hnet status` says of /etc/hosts: "synced" only once the file holds the current table, so a
// script that waits for a name in the status can use the name right away.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostEntry } from '../../contract/names.js';
import { HostsFileSync } from './hosts-sync.js';
import { createLogger } from '../log.js';

function entry(hostname: string): HostEntry {
  return { hostname, address: 'fc94::1' };
}

test('the status is pending from a change until the write that holds it is done', async () => {
  let table = [entry('alpha')];
  const writes: { entries: readonly HostEntry[]; done: () => void }[] = [];
  const sync = new HostsFileSync(
    (entries) => new Promise<void>((done) => writes.push({ entries, done })),
    () => table,
    createLogger('error', () => undefined),
    () => undefined,
  );
  sync.request();
  writes[0]!.done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sync.status, { state: 'synced', reason: '1 name' });

  table = [entry('alpha'), entry('bravo')];
  sync.request();
  assert.equal(sync.status.state, 'pending');
  // Another change while that write is under way: the first write's end is not "synced".
  table = [entry('alpha'), entry('bravo'), entry('charlie')];
  sync.request();
  writes[1]!.done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sync.status.state, 'pending');
  assert.equal(writes[2]?.entries.length, 3);
  writes[2]!.done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sync.status, { state: 'synced', reason: '3 names' });
  sync.stop();
});

test('a failing write stays "failed" across changes, with its reason, until one succeeds', async () => {
  let fail = true;
  const sync = new HostsFileSync(
    async () => {
      if (fail) throw new Error('the hnet helper is not running');
    },
    () => [entry('alpha')],
    createLogger('error', () => undefined),
    () => undefined,
  );
  sync.request();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sync.status, { state: 'failed', reason: 'the hnet helper is not running' });
  sync.request();
  assert.equal(sync.status.state, 'failed');
  fail = false;
  await new Promise((resolve) => setImmediate(resolve));
  sync.request();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sync.status, { state: 'synced', reason: '1 name' });
  sync.stop();
});
