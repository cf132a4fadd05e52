import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Caller } from './caller.js';
import { mayClose, mayWriteHosts, planOpen } from './overlay-devices.js';
import type { TunInfo } from './api/protocol.js';

const ENGINE_ADDRESS = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';
const OTHER_ADDRESS = 'fc94:2222:1883:b7ff:3bd0:eb4f:2280:5239';
const engine: Caller = { pid: 100, uid: 999 };
const desktopUser: Caller = { pid: 200, uid: 1000 };
const root: Caller = { pid: 1, uid: 0 };

const hnet0: TunInfo = {
  name: 'hnet0',
  address: ENGINE_ADDRESS,
  mtu: 1350,
  ownerUid: 999,
  ownerPid: 100,
  overlayRoute: true,
  ifindex: 5,
};
const nothingInUse = (): boolean => false;

describe('opening a device', () => {
  test('the first engine gets hnet0 and the overlay routes', () => {
    assert.deepEqual(planOpen([], engine, ENGINE_ADDRESS, nothingInUse), {
      ok: true,
      name: 'hnet0',
      overlayRoute: true,
      replaces: undefined,
    });
  });

  test("a second client gets a device of its own without the routes, never the first one's", () => {
    assert.deepEqual(planOpen([hnet0], desktopUser, OTHER_ADDRESS, nothingInUse), {
      ok: true,
      name: 'hnet1',
      overlayRoute: false,
      replaces: undefined,
    });
  });

  test("no client gets an address that is already another client's", () => {
    const plan = planOpen([hnet0], desktopUser, ENGINE_ADDRESS, nothingInUse);
    assert.ok(!plan.ok);
    assert.equal(plan.error.kind, 'NotOwner');
  });

  test('the same client asking again replaces its own device and keeps its routes', () => {
    const restarted = { ...engine, pid: 101 };
    assert.deepEqual(
      planOpen([hnet0], restarted, ENGINE_ADDRESS, (name) => name === 'hnet0'),
      {
        ok: true,
        name: 'hnet0',
        overlayRoute: true,
        replaces: hnet0,
      },
    );
  });

  test("an interface name someone else uses (another VPN's) is skipped", () => {
    const plan = planOpen([], engine, ENGINE_ADDRESS, (name) => name === 'hnet0' || name === 'hnet1');
    assert.ok(plan.ok);
    assert.equal(plan.name, 'hnet2');
  });

  test('the routes pass on once the device that carried them is gone', () => {
    const leftover = { ...hnet0, name: 'hnet1', address: OTHER_ADDRESS, ownerUid: 1000, overlayRoute: false };
    const plan = planOpen([leftover], engine, ENGINE_ADDRESS, nothingInUse);
    assert.ok(plan.ok);
    assert.equal(plan.overlayRoute, true);
  });
});

describe('closing a device', () => {
  test("its owner and root may; another member of the helper's group may not", () => {
    assert.ok(mayClose([hnet0], { ...engine, pid: 555 }, 'hnet0').ok);
    assert.ok(mayClose([hnet0], root, 'hnet0').ok);
    const refused = mayClose([hnet0], desktopUser, 'hnet0');
    assert.ok(!refused.ok);
    assert.equal(refused.error.kind, 'NotOwner');
  });

  test('a device the helper did not make is never removed, not even for root', () => {
    assert.ok(!mayClose([hnet0], root, 'eth0').ok);
  });

  test('Windows callers are told apart by SID, not by their shared "no uid"', () => {
    const alice = { pid: 7, uid: 0xffffffff, sid: 'S-1-5-21-1-2-3-1001' };
    const bob = { pid: 8, uid: 0xffffffff, sid: 'S-1-5-21-1-2-3-1002' };
    const device = { ...hnet0, ownerUid: 0xffffffff, ownerSid: alice.sid };
    assert.ok(mayClose([device], alice, 'hnet0').ok);
    assert.ok(!mayClose([device], bob, 'hnet0').ok);
  });
});

describe('writing names into the hosts file', () => {
  test('only the engine whose device carries the overlay (or root) writes them', () => {
    const second = { ...hnet0, name: 'hnet1', address: OTHER_ADDRESS, ownerUid: 1000, overlayRoute: false };
    assert.ok(mayWriteHosts([hnet0, second], engine).ok);
    assert.ok(mayWriteHosts([hnet0, second], root).ok);
    const refused = mayWriteHosts([hnet0, second], desktopUser);
    assert.ok(!refused.ok);
    assert.match(refused.error.message, /hnet0 of uid 999/);
  });

  test('with no engine holding the overlay, nobody but root writes them', () => {
    assert.ok(!mayWriteHosts([], desktopUser).ok);
    assert.ok(mayWriteHosts([], root).ok);
  });
});
