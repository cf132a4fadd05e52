// Who gets a slot when a listener is full: the rules alone, with connections as plain names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionSlots, sourceOf, type PickVictim } from './connection-slots.js';

/** `spare` connections are those named `idle…`; the first in the set goes first. */
const firstIdle: PickVictim<string> = (candidates, need) => {
  for (const name of candidates) if (name.startsWith('idle')) return name;
  return need === 'any' ? [...candidates][0] : undefined;
};

function fill(slots: ConnectionSlots<string>, source: string, count: number, prefix = 'busy'): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${source}-${i}`);
  for (const name of names) assert.deepEqual(slots.admit(source, name), { ok: true, evicted: undefined });
  return names;
}

describe('connection slots', () => {
  test('one source gets no more than its cap while the table has room for others', () => {
    const slots = new ConnectionSlots({ total: 100, perSource: 3 }, firstIdle);
    fill(slots, 'a', 3);
    assert.deepEqual(slots.admit('a', 'busy-a-3'), { ok: false, reason: 'source_limit' });
    assert.equal(slots.heldBy('a'), 3);
    assert.deepEqual(slots.admit('b', 'busy-b-0'), { ok: true, evicted: undefined });
  });

  test("at its cap, a source's newcomer replaces one of its own spare connections, never another's", () => {
    const slots = new ConnectionSlots({ total: 100, perSource: 2 }, firstIdle);
    fill(slots, 'a', 1);
    fill(slots, 'a', 1, 'idle');
    fill(slots, 'b', 1, 'idle');
    assert.deepEqual(slots.admit('a', 'busy-a-new'), { ok: true, evicted: 'idle-a-0' });
    assert.deepEqual(slots.admit('a', 'busy-a-newer'), { ok: false, reason: 'source_limit' });
    assert.equal(slots.heldBy('b'), 1);
  });

  test('when full, a newcomer takes a slot from the source holding the most', () => {
    const slots = new ConnectionSlots({ total: 10, perSource: 10 }, firstIdle);
    const flood = fill(slots, 'a', 7);
    fill(slots, 'b', 3);
    assert.deepEqual(slots.admit('c', 'busy-c-0'), { ok: true, evicted: flood[0] });
    assert.equal(slots.size, 10);
    assert.deepEqual([slots.heldBy('a'), slots.heldBy('b'), slots.heldBy('c')], [6, 3, 1]);
  });

  test('the flooding source cannot win its slots back, and sources at their fair share are left alone', () => {
    const slots = new ConnectionSlots({ total: 4, perSource: 4 }, firstIdle);
    fill(slots, 'a', 3);
    fill(slots, 'b', 1);
    assert.equal(slots.admit('c', 'busy-c-0').ok, true);
    // a holds 2, b and c 1 each: a newcomer from a would not leave the others more than it.
    assert.deepEqual(slots.admit('a', 'busy-a-again'), { ok: false, reason: 'connection_limit' });
    // Equal shares are never traded back and forth.
    assert.equal(slots.admit('d', 'busy-d-0').ok, true);
    assert.deepEqual(slots.admit('e', 'busy-e-0'), { ok: false, reason: 'connection_limit' });
    assert.deepEqual(
      [slots.heldBy('a'), slots.heldBy('b'), slots.heldBy('c'), slots.heldBy('d')],
      [1, 1, 1, 1],
    );
  });

  test('a few sources together cannot keep a newcomer out while one of them holds 2 or more', () => {
    const slots = new ConnectionSlots({ total: 300, perSource: 256 }, firstIdle);
    fill(slots, 'a', 256);
    fill(slots, 'b', 44);
    for (let i = 0; i < 50; i++) assert.equal(slots.admit(`device-${i}`, `device-${i}`).ok, true);
    assert.equal(slots.size, 300);
    assert.equal(slots.heldBy('a'), 206);
  });

  test('released and evicted connections give their slot back exactly once', () => {
    const slots = new ConnectionSlots({ total: 2, perSource: 2 }, firstIdle);
    const [first] = fill(slots, 'a', 2);
    const admitted = slots.admit('b', 'busy-b-0');
    assert.deepEqual(admitted, { ok: true, evicted: first });
    // The evicted connection's close comes later and must not free a second slot.
    slots.release(first!);
    slots.release('never-admitted');
    assert.equal(slots.size, 2);
    slots.release('busy-b-0');
    assert.equal(slots.size, 1);
    assert.equal(slots.leastNeeded(), 'busy-a-1');
  });

  test('an IPv6 /64 counts as one source and IPv4-mapped addresses as IPv4', () => {
    assert.equal(sourceOf('2001:db8:1:2::1'), sourceOf('2001:db8:1:2:ffff:1:2:3'));
    assert.notEqual(sourceOf('2001:db8:1:2::1'), sourceOf('2001:db8:1:3::1'));
    assert.equal(sourceOf('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(sourceOf('192.0.2.7'), '192.0.2.7');
    assert.equal(sourceOf(undefined), 'unknown');
  });
});
