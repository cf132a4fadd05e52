import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { longestLossRun, parsePing, percentile, rttPercentiles, type PingRun } from './ping-output.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

function run(name: string): PingRun {
  const result = parsePing(fixture(name));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.value;
}

describe('RTT percentiles', () => {
  test('200 replies 10 ms apart give p50 and p99 among the measured times', () => {
    const rtt = rttPercentiles(run('ping-rtt.txt'));
    assert.ok(rtt.ok);
    assert.equal(rtt.value.lostPercent, 0);
    // From the capture: min 0.017, max 0.100, avg 0.031 ms.
    assert.ok(rtt.value.p50Ms >= 0.017 && rtt.value.p50Ms <= 0.04, `p50 ${rtt.value.p50Ms}`);
    assert.ok(rtt.value.p99Ms >= rtt.value.p50Ms && rtt.value.p99Ms <= 0.1, `p99 ${rtt.value.p99Ms}`);
  });

  test('nearest rank: p50 of 1..10 is 5, p99 is 10, p50 of one value is that value', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 99), 10);
    assert.equal(percentile([0.3], 50), 0.3);
  });

  test('a duplicated reply is counted once, and a run with no replies is an error', () => {
    const withDuplicate = parsePing(
      [
        '64 bytes from fc94::2: icmp_seq=1 ttl=64 time=0.40 ms',
        '64 bytes from fc94::2: icmp_seq=1 ttl=64 time=0.90 ms (DUP!)',
        '64 bytes from fc94::2: icmp_seq=2 ttl=64 time=12.0 ms',
        '',
        '--- fc94::2 ping statistics ---',
        '2 packets transmitted, 2 received, +1 duplicates, 0% packet loss, time 10ms',
      ].join('\n'),
    );
    assert.ok(withDuplicate.ok);
    assert.deepEqual(withDuplicate.value.replies, [
      { seq: 1, rttMs: 0.4 },
      { seq: 2, rttMs: 12 },
    ]);
    const silent = rttPercentiles({ transmitted: 5, replies: [] });
    assert.ok(!silent.ok);
    assert.equal(silent.error.kind, 'NoReplies');
  });

  test('ping killed before its summary is not mistaken for a clean run', () => {
    const cutShort = parsePing('64 bytes from fc94::2: icmp_seq=1 ttl=64 time=0.40 ms\n');
    assert.ok(!cutShort.ok);
    assert.equal(cutShort.error.kind, 'NoSummary');
  });
});

describe('loss runs', () => {
  test('a path cut for 1.5 s while pinging every 100 ms loses 15 replies in a row, then recovers', () => {
    assert.deepEqual(longestLossRun(run('ping-cut-healed.txt')), { lostInARow: 15, recovered: true });
  });

  test('a path that never came back is reported as not recovered', () => {
    assert.deepEqual(longestLossRun(run('ping-cut-for-good.txt')), { lostInARow: 20, recovered: false });
  });

  test('an unbroken run has no loss', () => {
    assert.deepEqual(longestLossRun(run('ping-rtt.txt')), { lostInARow: 0, recovered: true });
  });
});
