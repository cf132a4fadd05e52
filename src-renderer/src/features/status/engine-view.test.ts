import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeEngineLink } from './engine-view.js';

const lostAt = Date.parse('2026-11-22T09:00:00Z');

describe('the window’s link to the engine', () => {
  test('while the engine answers there is nothing to say', () => {
    assert.equal(describeEngineLink({ state: 'up' }, undefined, lostAt), undefined);
  });

  test('when the engine stops, what the page shows is marked stale, with since when', () => {
    const banner = describeEngineLink(
      { state: 'down', reason: 'the connection to hnet closed; this page reconnects by itself' },
      lostAt,
      lostAt + 20_000,
    );
    assert.ok(banner);
    assert.equal(banner.stale, true);
    assert.equal(banner.title, 'hnet is not running');
    assert.match(banner.detail, /^The connection to hnet closed; this page reconnects by itself\. /);
    assert.match(
      banner.detail,
      /What this page shows is from \d\d:\d\d:\d\d \(20 s ago\) and is not updated/,
    );
  });

  test('reconnecting is still stale; a first connection has nothing stale to grey out', () => {
    const connecting = { state: 'connecting', reason: 'connecting to the hnet engine' } as const;
    assert.equal(describeEngineLink(connecting, lostAt, lostAt)?.title, 'Reconnecting to hnet…');
    assert.equal(describeEngineLink(connecting, lostAt, lostAt)?.stale, true);
    assert.deepEqual(describeEngineLink(connecting, undefined, lostAt), {
      title: 'Connecting to hnet…',
      detail: 'Connecting to the hnet engine.',
      stale: false,
    });
  });
});
