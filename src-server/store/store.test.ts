// One suite, run on both databases the server supports: the embedded SQLite file and PostgreSQL
// (a throwaway cluster started here, skipped with a printed reason where it cannot run).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LATEST_VERSION, migrate } from './migrations.js';
import { openDriver, Store } from './store.js';
import { postgresUnavailable, startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.js';

interface Backend {
  name: string;
  skip: string | undefined;
  setUp(): Promise<void>;
  /** A new, empty database's location. */
  fresh(): Promise<string>;
  tearDown(): Promise<void>;
}

function sqliteBackend(): Backend {
  let dir = '';
  let n = 0;
  return {
    name: 'SQLite',
    skip: undefined,
    setUp: () => {
      dir = mkdtempSync(join(tmpdir(), 'hnet-store-'));
      return Promise.resolve();
    },
    fresh: () => Promise.resolve(join(dir, `db${++n}.sqlite`)),
    tearDown: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function postgresBackend(): Backend {
  let cluster: ThrowawayPostgres | undefined;
  const skip = postgresUnavailable();
  return {
    name: 'PostgreSQL',
    skip,
    setUp: async () => {
      cluster = await startThrowawayPostgres();
    },
    fresh: () => cluster!.freshDatabase(),
    tearDown: async () => {
      await cluster?.stop();
    },
  };
}

const backends = [sqliteBackend(), postgresBackend()];
for (const backend of backends)
  if (backend.skip) console.log(`# ${backend.name} store tests skipped: ${backend.skip}`);

for (const backend of backends) {
  describe(`store on ${backend.name}`, { skip: backend.skip }, () => {
    const opened: Store[] = [];
    const open = async (location?: string) => {
      const store = await Store.open(location ?? (await backend.fresh()));
      opened.push(store);
      return store;
    };
    before(() => backend.setUp());
    after(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      await backend.tearDown();
    });

    test('a new database is migrated to the latest schema, and reopening it keeps the data', async () => {
      const location = await backend.fresh();
      const first = await Store.open(location);
      const created = await first.createAccount('Ada@Example.org', 'hash');
      assert.ok(created.ok);
      await first.close();
      const again = await open(location);
      assert.equal((await again.credentials('ada@example.org'))?.account.id, created.value.id);
      const driver = await openDriver(await backend.fresh());
      try {
        assert.equal(await migrate(driver), LATEST_VERSION);
        assert.equal(await migrate(driver), LATEST_VERSION, 'a second run applies nothing');
        const rows = await driver.all('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          rows.map((r) => Number(r.version)),
          Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
        );
      } finally {
        await driver.close();
      }
    });

    test('a database at an older schema is upgraded with its data intact', async () => {
      const location = await backend.fresh();
      const driver = await openDriver(location);
      assert.equal(await migrate(driver, 1), 1);
      await driver.run('INSERT INTO accounts (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)', [
        'old',
        'old@example.org',
        'hash',
        1,
      ]);
      await driver.close();
      const store = await open(location);
      const network = await store.createNetwork('old', 'lab');
      assert.equal(network.ownerEmail, 'old@example.org');
    });

    test('join codes made before codes had a network go on joining the account only', async () => {
      const location = await backend.fresh();
      const driver = await openDriver(location);
      assert.equal(await migrate(driver, 5), 5);
      await driver.run('INSERT INTO accounts (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)', [
        'old',
        'old@example.org',
        'hash',
        1,
      ]);
      await driver.run('INSERT INTO networks (id, owner_id, name, created_at) VALUES (?, ?, ?, ?)', [
        'only',
        'old',
        'lab',
        2,
      ]);
      await driver.run(
        'INSERT INTO join_codes (id, account_id, code_hash, label, created_at) VALUES (?, ?, ?, ?, ?)',
        ['code', 'old', 'oldhash', 'laptops', 3],
      );
      await driver.close();
      const store = await open(location);
      assert.deepEqual(await store.joinGrant('oldhash'), {
        accountId: 'old',
        codeId: 'code',
        networkId: null,
      });
      assert.deepEqual(
        (await store.joinCodes('old')).map((c) => [c.label, c.networkName, c.revokedAt, c.devices]),
        [['laptops', null, null, []]],
      );
    });

    test('a database from a newer hnet-server is refused with a sentence saying what to do', async () => {
      const location = await backend.fresh();
      const driver = await openDriver(location);
      await migrate(driver);
      await driver.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        LATEST_VERSION + 1,
        'future',
        0,
      ]);
      await driver.close();
      await assert.rejects(Store.open(location), /newer than this hnet-server knows.*upgrade hnet-server/);
    });

    // Several servers may share one PostgreSQL database; a SQLite file has one owner by design.
    if (backend.name === 'PostgreSQL')
      test('servers starting together on a new database migrate it once, both ending at the latest schema', async () => {
        const location = await backend.fresh();
        const stores = await Promise.all([open(location), open(location), open(location)]);
        assert.equal(stores.length, 3);
        const driver = await openDriver(location);
        try {
          const rows = await driver.all('SELECT COUNT(*) AS n FROM schema_migrations');
          assert.equal(Number(rows[0]?.n), LATEST_VERSION);
        } finally {
          await driver.close();
        }
      });

    test('of ten racing claims on a new server exactly one creates the first account', async () => {
      const store = await open();
      assert.equal(await store.hasFirstAccount(), false);
      const racing = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.createFirstAccount(`racer${i}@example.org`, 'h')),
      );
      const won = racing.filter((r) => r.ok);
      assert.equal(won.length, 1);
      for (const lost of racing.filter((r) => !r.ok))
        assert.match(lost.ok ? '' : lost.error.message, /has its first account already/);
      const accounts = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.credentials(`racer${i}@example.org`)),
      );
      assert.equal(accounts.filter(Boolean).length, 1, 'the losers left no account behind');
      assert.equal(await store.hasFirstAccount(), true);
      assert.ok((await store.createAccount('member@example.org', 'h')).ok, 'more accounts are not claims');
      const late = await store.createFirstAccount('late@example.org', 'h');
      assert.equal(late.ok ? 'created' : late.error.kind, 'Conflict');
    });

    test('an upgraded database counts its earliest account as the first one', async () => {
      const location = await backend.fresh();
      const driver = await openDriver(location);
      assert.equal(await migrate(driver, 4), 4);
      const insert = 'INSERT INTO accounts (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)';
      await driver.run(insert, ['later', 'later@example.org', 'h', 20]);
      await driver.run(insert, ['earliest', 'earliest@example.org', 'h', 10]);
      await driver.close();
      const store = await open(location);
      assert.equal(await store.hasFirstAccount(), true);
      const claim = await store.createFirstAccount('new@example.org', 'h');
      assert.equal(claim.ok ? 'created' : claim.error.kind, 'Conflict');
      const empty = await open();
      assert.ok((await empty.createAccount('tool@example.org', 'h')).ok);
      assert.equal(
        await empty.hasFirstAccount(),
        true,
        'an account made by a tool claims an empty server too',
      );
    });

    test('emails are unique whatever their case', async () => {
      const store = await open();
      assert.ok((await store.createAccount('Bob@Example.org', 'h')).ok);
      const again = await store.createAccount('bob@example.ORG', 'h');
      assert.equal(again.ok ? 'created' : again.error.kind, 'Conflict');
    });

    test('a session ends at its expiry time', async () => {
      const store = await open();
      const account = await store.createAccount('s@example.org', 'h');
      assert.ok(account.ok);
      await store.createSession('tokenhash', account.value.id, 'csrf', 2_000);
      assert.deepEqual(await store.session('tokenhash', 1_999), {
        accountId: account.value.id,
        csrfToken: 'csrf',
      });
      assert.equal(await store.session('tokenhash', 2_000), undefined);
    });

    test('API tokens are found by their hash, record their use, and only their owner deletes them', async () => {
      const store = await open();
      const a = await store.createAccount('a@example.org', 'h');
      const b = await store.createAccount('b@example.org', 'h');
      assert.ok(a.ok && b.ok);
      const token = await store.createApiToken(a.value.id, 'ci', 'tokenhash', 10);
      assert.equal(await store.accountForApiToken('tokenhash', 20), a.value.id);
      assert.equal((await store.apiTokens(a.value.id))[0]?.lastUsedAt, 20);
      assert.equal((await store.deleteApiToken(b.value.id, token.id)).ok, false);
      assert.ok((await store.deleteApiToken(a.value.id, token.id)).ok);
      assert.equal(await store.accountForApiToken('tokenhash'), undefined);
    });

    test('devices in a shared network see each other; a device outside it sees nobody', async () => {
      const store = await open();
      const owner = await store.createAccount('owner@example.org', 'h');
      const friend = await store.createAccount('friend@example.org', 'h');
      assert.ok(owner.ok && friend.ok);
      const [A, B, C] = ['fc94::a', 'fc94::b', 'fc94::c'];
      await store.claimDevice({ address: A, hostname: 'alpha', secret: 's'.repeat(24) }, owner.value.id);
      await store.claimDevice({ address: B, hostname: 'bravo', secret: 's'.repeat(24) }, friend.value.id);
      await store.claimDevice({ address: C, hostname: 'charlie', secret: 's'.repeat(24) }, owner.value.id);
      const network = await store.createNetwork(owner.value.id, 'lab');
      assert.ok((await store.addToNetwork(owner.value.id, network.id, A)).ok);
      const notYours = await store.addToNetwork(owner.value.id, network.id, B);
      assert.equal(notYours.ok ? 'added' : notYours.error.kind, 'NotFound', 'only your own devices');
      const notShared = await store.addToNetwork(friend.value.id, network.id, B);
      assert.equal(notShared.ok ? 'added' : notShared.error.kind, 'NotFound', 'not before it is shared');
      assert.ok((await store.shareNetwork(owner.value.id, network.id, 'FRIEND@example.org')).ok);
      const reshare = await store.shareNetwork(friend.value.id, network.id, 'owner@example.org');
      assert.equal(reshare.ok ? 'shared' : reshare.error.kind, 'Forbidden', 'only the owner shares');
      assert.ok((await store.addToNetwork(friend.value.id, network.id, B)).ok);

      assert.deepEqual(await store.peersOf(A), [{ address: B, hostname: 'bravo' }]);
      assert.deepEqual(await store.peersOf(B), [{ address: A, hostname: 'alpha' }]);
      assert.deepEqual(await store.peersOf(C), []);
      const seen = await store.network(friend.value.id, network.id);
      assert.deepEqual(
        seen?.devices.map((d) => d.hostname),
        ['alpha', 'bravo'],
      );
      assert.deepEqual(seen?.sharedWith, ['friend@example.org']);
      assert.equal(seen?.owned, false);

      assert.ok((await store.removeFromNetwork(owner.value.id, network.id, B)).ok);
      assert.deepEqual(await store.peersOf(A), []);
      const deleted = await store.deleteNetwork(friend.value.id, network.id);
      assert.equal(deleted.ok ? 'deleted' : deleted.error.kind, 'Forbidden');
      assert.ok((await store.unshareNetwork(owner.value.id, network.id, 'friend@example.org')).ok);
      assert.equal(await store.network(friend.value.id, network.id), undefined);
    });

    test('a device joining with another account leaves its old networks and starts a fresh push record', async () => {
      const store = await open();
      const first = await store.createAccount('first@example.org', 'h');
      const second = await store.createAccount('second@example.org', 'h');
      assert.ok(first.ok && second.ok);
      await store.claimDevice(
        { address: 'fc94::1', hostname: 'one', secret: 'x'.repeat(24) },
        first.value.id,
      );
      await store.claimDevice(
        { address: 'fc94::2', hostname: 'two', secret: 'x'.repeat(24) },
        first.value.id,
      );
      const network = await store.createNetwork(first.value.id, 'n');
      await store.addToNetwork(first.value.id, network.id, 'fc94::1');
      await store.addToNetwork(first.value.id, network.id, 'fc94::2');
      await store.changePushed('fc94::1', () => ({ add: ['whitelist fc94::2'] }));
      assert.deepEqual(await store.pushedEntries('fc94::1'), ['whitelist fc94::2']);

      const claimed = await store.claimDevice(
        { address: 'fc94::1', hostname: 'uno', secret: 'y'.repeat(24) },
        second.value.id,
      );
      assert.ok(claimed.ok);
      assert.equal(claimed.value.accountId, second.value.id);
      assert.deepEqual(await store.peersOf('fc94::2'), []);
      assert.deepEqual(await store.pushedEntries('fc94::1'), []);
      assert.equal((await store.deviceContact('fc94::1'))?.secret, 'y'.repeat(24));
      assert.deepEqual(
        (await store.devices(first.value.id)).map((d) => d.hostname),
        ['two'],
      );
    });

    test('a device that signed a join is never again claimed unsigned, even after it was deleted', async () => {
      const store = await open();
      const owner = await store.createAccount('owner@example.org', 'h');
      const other = await store.createAccount('other@example.org', 'h');
      assert.ok(owner.ok && other.ok);
      const device = { address: 'fc94::5', hostname: 'five', secret: 's'.repeat(24) };
      assert.ok((await store.claimDevice({ ...device, address: 'fc94::6' }, owner.value.id)).ok, 'stock');
      assert.ok((await store.claimDevice(device, owner.value.id, 'signed')).ok);
      assert.ok((await store.claimDevice(device, owner.value.id, 'signed')).ok, 'repeated');
      const unsigned = await store.claimDevice({ ...device, secret: 'm'.repeat(24) }, other.value.id);
      assert.equal(unsigned.ok ? 'claimed' : unsigned.error.kind, 'Forbidden');
      assert.equal((await store.deviceContact(device.address))?.secret, device.secret, 'nothing changed');
      assert.ok((await store.deleteDevice(owner.value.id, device.address)).ok);
      const again = await store.claimDevice(device, other.value.id);
      assert.equal(again.ok ? 'claimed' : again.error.kind, 'Forbidden');
      assert.ok((await store.claimDevice(device, other.value.id, 'signed')).ok, 'the device itself may move');
    });

    test('no device sees one name on two devices: renames and adds are refused, joins are numbered', async () => {
      const store = await open();
      const owner = await store.createAccount('names@example.org', 'h');
      const friend = await store.createAccount('friend@example.org', 'h');
      assert.ok(owner.ok && friend.ok);
      const claim = async (address: string, hostname: string, account = owner.value.id) => {
        const claimed = await store.claimDevice({ address, hostname, secret: 's'.repeat(24) }, account);
        assert.ok(claimed.ok);
        return claimed.value.hostname;
      };
      const [A, B, C, D] = ['fc94::a1', 'fc94::b2', 'fc94::c3', 'fc94::d4'];
      await claim(A, 'alpha');
      await claim(B, 'bravo', friend.value.id);
      await claim(C, 'charlie');
      assert.equal(await claim(D, 'laptop.example.org'), 'laptop', 'a join gets a single label');
      const network = await store.createNetwork(owner.value.id, 'shared');
      assert.ok((await store.shareNetwork(owner.value.id, network.id, 'friend@example.org')).ok);
      assert.ok((await store.addToNetwork(owner.value.id, network.id, A)).ok);
      assert.ok((await store.addToNetwork(friend.value.id, network.id, B)).ok);
      const kind = (result: { ok: boolean; error?: { kind: string; message: string } }) =>
        result.ok ? 'ok' : `${result.error!.kind}: ${result.error!.message}`;

      assert.match(kind(await store.renameDevice(owner.value.id, A, 'Bravo')), /^Conflict: "Bravo" is taken/);
      assert.match(kind(await store.renameDevice(owner.value.id, A, 'github.com')), /^BadName: .*no dots/);
      assert.equal(kind(await store.renameDevice(owner.value.id, C, 'bravo')), 'ok', 'C sees nobody yet');
      assert.match(
        kind(await store.addToNetwork(owner.value.id, network.id, C)),
        /^Conflict: "bravo" cannot join this network: device ".*" would then see two devices called "bravo"/,
      );
      assert.deepEqual(
        (await store.peersOf(A)).map((p) => p.address),
        [B],
        'the refused add changed nothing',
      );
      assert.ok((await store.renameDevice(owner.value.id, C, 'charlie')).ok);
      assert.ok((await store.addToNetwork(owner.value.id, network.id, C)).ok);
      assert.equal(
        await claim(C, 'alpha'),
        'alpha-2',
        'a device joining again under a name it would see is numbered',
      );

      const racers = Array.from({ length: 8 }, (_, i) => `fc94::e${i}`);
      const lab = await store.createNetwork(owner.value.id, 'racers');
      for (const [i, address] of racers.entries()) {
        await claim(address, `racer-${i}`);
        assert.ok((await store.addToNetwork(owner.value.id, lab.id, address)).ok);
      }
      const racing = await Promise.all(
        racers.map((address) => store.renameDevice(owner.value.id, address, 'same')),
      );
      assert.equal(racing.filter((r) => r.ok).length, 1, 'of racing renames to one name, one wins');
    });

    test('a join code puts the device in its network at once, under a name unique in the account; revoked, it joins nothing but stays listed', async () => {
      const store = await open();
      const owner = await store.createAccount('codes@example.org', 'h');
      const friend = await store.createAccount('friend@example.org', 'h');
      assert.ok(owner.ok && friend.ok);
      const lab = await store.createNetwork(owner.value.id, 'home lab');
      const notTheirs = await store.createJoinCode(friend.value.id, 'theirs', 'friendhash', lab.id);
      assert.equal(notTheirs.ok ? 'created' : notTheirs.error.kind, 'NotFound', 'only a network you may use');
      const code = await store.createJoinCode(owner.value.id, 'laptops', 'codehash', lab.id);
      assert.ok(code.ok);
      assert.equal(code.value.networkName, 'home lab');
      assert.ok((await store.createJoinCode(owner.value.id, 'account only', 'plainhash')).ok);
      assert.equal(await store.joinGrant('unknownhash'), undefined);

      const grant = await store.joinGrant('codehash');
      assert.deepEqual(grant, { accountId: owner.value.id, codeId: code.value.id, networkId: lab.id });
      const join = async (address: string, hostname: string, hash: string) => {
        const claimed = await store.claimDevice(
          { address, hostname, secret: 's'.repeat(24) },
          (await store.joinGrant(hash))!,
        );
        assert.ok(claimed.ok, claimed.ok ? '' : claimed.error.message);
        return claimed.value.hostname;
      };
      const [A, B, C] = ['fc94::a', 'fc94::b', 'fc94::c'];
      assert.equal(await join(A, 'vm', 'codehash'), 'vm');
      assert.equal(await join(B, 'vm', 'codehash'), 'vm-2', 'the hostname of the first is taken');
      assert.deepEqual(await store.peersOf(A), [{ address: B, hostname: 'vm-2' }], 'in the network at once');
      assert.equal(await join(C, 'VM', 'plainhash'), 'VM-3', 'unique in the account, networks or not');
      assert.deepEqual(await store.peersOf(C), [], 'a code with no network joins the account only');
      assert.deepEqual(await store.networkNamesOf(A, 16), ['home lab']);
      const renamed = await store.renameDevice(owner.value.id, C, 'Vm');
      assert.match(renamed.ok ? 'renamed' : renamed.error.message, /another of your devices has that name/);

      assert.equal((await store.revokeJoinCode(friend.value.id, code.value.id)).ok, false, 'owner only');
      assert.ok((await store.revokeJoinCode(owner.value.id, code.value.id, 50)).ok);
      assert.equal(await store.joinGrant('codehash'), undefined);
      assert.deepEqual(
        (await store.joinCodes(owner.value.id)).map((c) => [c.label, c.networkName, c.revokedAt, c.devices]),
        [
          [
            'laptops',
            'home lab',
            50,
            [
              { address: A, hostname: 'vm' },
              { address: B, hostname: 'vm-2' },
            ],
          ],
          ['account only', null, null, [{ address: C, hostname: 'VM-3' }]],
        ],
      );
      assert.deepEqual((await store.devices(owner.value.id)).map((d) => [d.address, d.joinCodeId]).sort(), [
        [A, code.value.id],
        [B, code.value.id],
        [C, (await store.joinCodes(owner.value.id))[1]!.id],
      ]);

      // A code made for a network shared with its account works only while the share lasts.
      assert.ok((await store.shareNetwork(owner.value.id, lab.id, 'friend@example.org')).ok);
      assert.ok((await store.createJoinCode(friend.value.id, 'theirs', 'friendhash', lab.id)).ok);
      assert.equal((await store.joinGrant('friendhash'))?.networkId, lab.id);
      assert.ok((await store.unshareNetwork(owner.value.id, lab.id, 'friend@example.org')).ok);
      assert.equal(await store.joinGrant('friendhash'), undefined);
    });

    test('servers sharing the database: a registry of their bases, one license key, one websetup per device', async () => {
      const location = await backend.fresh();
      const one = await open(location);
      // SQLite belongs to one process: there, "two servers" are one store.
      const two = backend.name === 'PostgreSQL' ? await open(location) : one;
      await one.registerServer('server-1', ['198.18.0.1:443'], 'fc94::1', 10);
      await two.registerServer('server-2', ['198.18.0.2:443', '[2001:db8::2]:443'], 'fc94::2', 20);
      await one.registerServer('server-1', ['198.18.0.11:443'], 'fc94::1', 30);
      assert.deepEqual(
        (await two.servers()).map((s) => [s.id, s.baseServers]),
        [
          ['server-1', ['198.18.0.11:443']],
          ['server-2', ['198.18.0.2:443', '[2001:db8::2]:443']],
        ],
        'a restarted server replaces its addresses and keeps its place',
      );

      assert.equal(await one.licenseKey(), undefined);
      assert.equal(await one.recordLicenseKey('first'), 'first');
      assert.equal(await two.recordLicenseKey('second'), 'first', 'the first key recorded stays');

      const owner = await one.createAccount('fleet@example.org', 'h');
      assert.ok(owner.ok);
      const device = { address: 'fc94::a', hostname: 'alpha', secret: 's'.repeat(24) };
      assert.ok((await one.claimDevice(device, owner.value.id)).ok);
      assert.ok((await one.claimDevice({ ...device, address: 'fc94::b' }, owner.value.id)).ok);
      assert.deepEqual(
        await one.allDeviceAddresses('fc94::1'),
        ['fc94::a', 'fc94::b'],
        'unclaimed: anyone’s',
      );
      assert.equal(await one.manageDevice('fc94::a', 'fc94::1'), true);
      assert.equal(await one.manageDevice('fc94::a', 'fc94::1'), false, 'asked again: nothing moves');
      assert.equal(await two.manageDevice('fc94::b', 'fc94::2'), true);
      assert.deepEqual(await one.allDeviceAddresses('fc94::1'), ['fc94::a']);
      assert.deepEqual(await two.allDeviceAddresses('fc94::2'), ['fc94::b']);
      assert.equal((await two.deviceContact('fc94::a'))?.websetup, 'fc94::1');
      assert.equal(
        await two.manageDevice('fc94::a', 'fc94::2'),
        true,
        'a device that asks another node moves',
      );
      assert.deepEqual(await two.allDeviceAddresses(), ['fc94::a', 'fc94::b']);
    });
  });
}

describe('SQLite file ownership', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-store-own-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a second server cannot open a database another live process owns', async () => {
    const file = join(dir, 'owned.sqlite');
    const store = await Store.open(file);
    try {
      await assert.rejects(Store.open(file), /uses this database; stop that hnet-server first/);
    } finally {
      await store.close();
    }
    assert.equal(existsSync(`${file}.pid`), false, 'closing gives the database up');
  });

  test('the database of a crashed server opens again, its stale lock cleared', async () => {
    const file = join(dir, 'crashed.sqlite');
    const store = await Store.open(file);
    await store.createAccount('kept@example.org', 'h');
    await store.close();
    // What a crash mid-write leaves: the owner's pid (no such process) and the engine's lock directory.
    writeFileSync(`${file}.pid`, '2147483646\n');
    mkdirSync(`${file}.lock`);
    const reopened = await Store.open(file);
    try {
      assert.ok(await reopened.credentials('kept@example.org'));
    } finally {
      await reopened.close();
    }
  });
});
