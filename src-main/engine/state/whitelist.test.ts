import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseOverlayAddress } from '../../../src-protocol/address.js';
import { HostTable } from './host-table.js';
import { Whitelist } from './whitelist.js';

const PEER = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';
const peerBytes = parseOverlayAddress(PEER)!;
const STRANGER = parseOverlayAddress('fc94::dead')!;

describe('whitelist and host table', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-lists-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a fresh whitelist is on and lets nobody in; an added peer may handshake, others may not', async () => {
    const opened = await Whitelist.open(join(dir, 'fresh.json'));
    assert.ok(opened.ok);
    const whitelist = opened.value;
    assert.equal(whitelist.state.enabled, true);
    assert.equal(whitelist.allows(peerBytes), false);
    await whitelist.add(PEER);
    assert.equal(whitelist.allows(peerBytes), true);
    assert.equal(whitelist.allows(STRANGER), false);
    await whitelist.setEnabled(false);
    assert.equal(whitelist.allows(STRANGER), true);
  });

  test('changes survive a restart and the file is private', async () => {
    const file = join(dir, 'persisted.json');
    const first = await Whitelist.open(file);
    assert.ok(first.ok);
    await first.value.add(PEER);
    await first.value.add('fc94::1');
    await first.value.remove('fc94:0000:0000:0000:0000:0000:0000:0001');
    await first.value.setEnabled(false);
    const second = await Whitelist.open(file);
    assert.ok(second.ok);
    assert.deepEqual(second.value.state, { enabled: false, addresses: [PEER] });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('removing an address that is not listed is reported, and the file is not rewritten', async () => {
    const file = join(dir, 'absent.json');
    const opened = await Whitelist.open(file);
    assert.ok(opened.ok);
    const removed = await opened.value.remove(PEER);
    assert.equal(removed.ok, false);
    if (!removed.ok) assert.equal(removed.error.kind, 'NotFound');
    await assert.rejects(stat(file));
  });

  test('concurrent changes all land, in order', async () => {
    const opened = await Whitelist.open(join(dir, 'concurrent.json'));
    assert.ok(opened.ok);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => opened.value.add(`fc94::${(i + 1).toString(16)}`)),
    );
    const reopened = await Whitelist.open(join(dir, 'concurrent.json'));
    assert.ok(reopened.ok);
    assert.equal(reopened.value.state.addresses.length, 20);
  });

  test('a damaged whitelist file stops the engine with its name instead of being reset', async () => {
    const file = join(dir, 'damaged.json');
    await writeFile(file, '{"enabled": true, "addresses": ["not-an-address"]}');
    const opened = await Whitelist.open(file);
    assert.equal(opened.ok, false);
    if (!opened.ok)
      assert.match(opened.error.message, /damaged\.json is damaged: bad address: "not-an-address"/);
    assert.match(await readFile(file, 'utf8'), /not-an-address/);
  });

  test('host names resolve case-insensitively, adding a name again repoints it, and the table persists', async () => {
    const file = join(dir, 'hosts.json');
    const opened = await HostTable.open(file);
    assert.ok(opened.ok);
    const hosts = opened.value;
    await hosts.add({ hostname: 'Laptop', address: PEER });
    await hosts.add({ hostname: 'laptop', address: 'fc94:0000:0000:0000:0000:0000:0000:0002' });
    assert.equal(hosts.resolve('LAPTOP'), 'fc94:0000:0000:0000:0000:0000:0000:0002');
    assert.equal(hosts.entries.length, 1);
    const removed = await hosts.remove('nosuch');
    assert.equal(removed.ok, false);
    const reopened = await HostTable.open(file);
    assert.ok(reopened.ok);
    assert.deepEqual(reopened.value.entries, [
      { hostname: 'laptop', address: 'fc94:0000:0000:0000:0000:0000:0000:0002' },
    ]);
  });
});
