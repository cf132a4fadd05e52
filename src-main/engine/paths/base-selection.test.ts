// Choosing a base from measurements alone: the nearest that answers, the next when it fails, back
// to a nearer one only when it is clearly nearer and answers steadily.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseSelection } from './base-selection.js';

const answered = (rttMs: number) => ({ ok: true as const, rttMs });
const silent = { ok: false as const, reason: 'b did not answer within 3 s' };

function measured(rtts: Record<string, number | undefined>, now = 0): BaseSelection {
  const selection = new BaseSelection(Object.keys(rtts));
  for (const [server, rtt] of Object.entries(rtts))
    selection.record(server, rtt === undefined ? silent : answered(rtt), now);
  return selection;
}

test('nothing is chosen before a measurement', () => {
  assert.equal(new BaseSelection(['a', 'b']).next(), undefined);
});

test('the lowest round trip among several is chosen, the others follow in order of theirs', () => {
  const selection = measured({ a: 80, b: 12, c: 35 });
  assert.equal(selection.next(), 'b');
  assert.deepEqual(
    selection.readings().map((r) => [r.server, r.rttMs]),
    [
      ['b', 12],
      ['c', 35],
      ['a', 80],
    ],
  );
});

test('a base that does not answer is skipped, even first in the list, and shown as failing', () => {
  const selection = measured({ a: undefined, b: 40 });
  assert.equal(selection.next(), 'b');
  assert.deepEqual(selection.readings().at(-1), {
    server: 'a',
    failure: silent.reason,
    rttMs: undefined,
    at: 0,
  });
});

test('a base that fails in use is passed over for the next nearest', () => {
  const selection = measured({ a: 10, b: 40, c: 20 });
  selection.failed('a', 'a stopped answering', 5);
  assert.equal(selection.next(), 'c');
  selection.failed('c', 'c reset the connection', 6);
  assert.equal(selection.next(), 'b');
  selection.failed('b', 'b reset the connection', 7);
  assert.equal(selection.next(), undefined, 'none left: time to measure them all again');
});

test('the failed nearer base is rechecked, and moved back to once it answered twice', () => {
  const selection = measured({ near: 10, far: 60 });
  selection.failed('near', 'near stopped answering', 1);
  assert.deepEqual(selection.nearerOnes('far'), ['near'], 'worth measuring again soon');
  assert.equal(selection.nearerThan('far'), undefined);
  selection.record('near', answered(11), 2);
  assert.equal(selection.nearerThan('far'), undefined, 'one answer after a failure is not enough');
  selection.record('near', answered(12), 3);
  assert.equal(selection.nearerThan('far'), 'near');
});

test('a base only a little nearer is not worth moving for', () => {
  const selection = measured({ a: 50, b: 45 });
  selection.record('b', answered(45), 1);
  selection.record('a', answered(50), 1);
  assert.equal(selection.nearerThan('a'), undefined, '5 ms of 50 is less than a quarter');
  selection.record('b', answered(30), 2);
  assert.equal(selection.nearerThan('a'), 'b', '20 ms of 50 is clearly nearer');
});

test('on loopback-like distances a few milliseconds never move a node', () => {
  const selection = measured({ a: 4, b: 0.5 });
  selection.record('b', answered(0.4), 1);
  assert.equal(selection.nearerThan('a'), undefined);
  assert.deepEqual(selection.nearerOnes('b'), []);
});
