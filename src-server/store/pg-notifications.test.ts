// The change channel on PostgreSQL (a throwaway cluster, skipped with the reason where it cannot
// run) and in-process: news reaches every listener, the sender's own process included, and a
// listener whose connection was cut hears `undefined` once it is back, so it looks at everything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  localChanges,
  MAX_NOTIFY_PAYLOAD,
  notifyEach,
  postgresChanges,
  type ChangeChannel,
} from './pg-notifications.js';
import { postgresUnavailable, startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.js';

/** Collects what a listener hears; `next` resolves with the first item not yet taken. */
function recorder() {
  const heard: (string | undefined)[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  return {
    heard,
    listener: (payload: string | undefined) => {
      heard.push(payload);
      wake?.();
    },
    next: async (): Promise<string | undefined> => {
      while (taken >= heard.length) await new Promise<void>((resolve) => (wake = resolve));
      return heard[taken++];
    },
  };
}

describe('change channel in one process (SQLite)', () => {
  test('news reaches every listener of its channel, and none after it stopped listening', async () => {
    const channel = localChanges();
    const first = recorder();
    const other = recorder();
    const stop = await channel.listen('devices', first.listener);
    await channel.listen('servers', other.listener);
    const heard = first.next();
    await channel.notify('devices', 'fc94::1');
    assert.equal(await heard, 'fc94::1');
    stop();
    await channel.notify('devices', 'fc94::2');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(first.heard, ['fc94::1']);
    assert.deepEqual(other.heard, []);
    await assert.rejects(channel.notify('Robert"; DROP', 'x'), /is not a channel name/);
  });
});

const skip = postgresUnavailable();
describe('change channel on PostgreSQL', { skip }, () => {
  let cluster: ThrowawayPostgres;
  const channels: ChangeChannel[] = [];
  const open = () => {
    const channel = postgresChanges(cluster.url);
    channels.push(channel);
    return channel;
  };
  before(async () => {
    cluster = await startThrowawayPostgres();
  });
  after(async () => {
    for (const channel of channels) await channel.close();
    await cluster?.stop();
  });

  test('news from one server reaches the others and itself', async () => {
    const [one, two] = [open(), open()];
    const [mine, theirs] = [recorder(), recorder()];
    await one.listen('hnet_test', mine.listener);
    await two.listen('hnet_test', theirs.listener);
    const both = Promise.all([mine.next(), theirs.next()]);
    await one.notify('hnet_test', 'fc94::1 fc94::2');
    assert.deepEqual(await both, ['fc94::1 fc94::2', 'fc94::1 fc94::2']);
  });

  test('long news is split to fit PostgreSQL’s payload limit, nothing lost', async () => {
    const [sender, receiver] = [open(), open()];
    const got = recorder();
    await receiver.listen('hnet_split', got.listener);
    const addresses = Array.from({ length: 600 }, (_, i) => `fc94:0:0:0:0:0:0:${i.toString(16)}`);
    await notifyEach(sender, 'hnet_split', addresses);
    const received: string[] = [];
    while (received.length < addresses.length) {
      const payload = (await got.next()) ?? '';
      assert.ok(Buffer.byteLength(payload) <= MAX_NOTIFY_PAYLOAD);
      received.push(...payload.split(' '));
    }
    assert.deepEqual(received, addresses);
  });

  test('a listener whose connection was cut hears undefined once back, then news again', async () => {
    const [listener, sender] = [open(), open()];
    const got = recorder();
    await listener.listen('hnet_cut', got.listener);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      const back = got.next();
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE pid <> pg_backend_pid() AND query ILIKE 'LISTEN hnet_cut%'`,
      );
      assert.equal(await back, undefined);
    } finally {
      await admin.end();
    }
    const after = got.next();
    await sender.notify('hnet_cut', 'again');
    assert.equal(await after, 'again');
  });
});
