import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authorise, NO_UID, type AuthorisationConfig } from './authorise.js';

const USER = 'S-1-5-21-1004336348-1177238915-682003330-1001';
const OTHER = 'S-1-5-21-1004336348-1177238915-682003330-1002';
const HNET_GROUP = 'S-1-5-21-1004336348-1177238915-682003330-1105';
const USERS = 'S-1-5-32-545';

const config: AuthorisationConfig = {
  allowedGid: 4242,
  allowedUids: [1000],
  allowedSids: [USER, HNET_GROUP],
};
const pipeCaller = (sid: string, groups: string[] = [USERS]) =>
  authorise({ kind: 'pipe', client: { pid: 4711, sid, groups } }, config);

describe('a Windows caller on the control pipe', () => {
  test('is admitted by its own SID, with the SID kept for its data pipe', () => {
    assert.deepEqual(pipeCaller(USER), { ok: true, caller: { pid: 4711, uid: NO_UID, sid: USER } });
  });

  test('is admitted through an allowed group, SYSTEM, or an elevated Administrators group', () => {
    assert.equal(pipeCaller(OTHER, [USERS, HNET_GROUP]).ok, true);
    assert.equal(pipeCaller('S-1-5-18', []).ok, true);
    assert.equal(pipeCaller(OTHER, [USERS, 'S-1-5-32-544']).ok, true);
  });

  test('anyone else is refused with a sentence naming the SID and what to configure', () => {
    const decision = pipeCaller(OTHER);
    assert.ok(!decision.ok);
    assert.equal(decision.error.kind, 'NotAuthorised');
    assert.match(decision.error.message, new RegExp(`refuses ${OTHER} \\(pid 4711\\)`));
    assert.match(decision.error.message, /to "sids" in the helper's config/);
  });

  test('a Unix uid or gid in the config admits no Windows caller', () => {
    assert.equal(pipeCaller('S-1-5-21-1-2-3-1000', ['S-1-5-21-1-2-3-4242']).ok, false);
  });
});

describe('a Unix caller on the socket', () => {
  const unixCaller = (uid: number, gid: number, groups: number[] = []) =>
    authorise({ kind: 'unix', credentials: { pid: 99, uid, gid, groups } }, config);

  test('root, an allowed uid and members of the group are admitted', () => {
    assert.deepEqual(unixCaller(0, 0), { ok: true, caller: { pid: 99, uid: 0 } });
    assert.equal(unixCaller(1000, 1000).ok, true);
    assert.equal(unixCaller(1001, 1001, [4242]).ok, true);
  });

  test('others are told to join the group', () => {
    const decision = unixCaller(1001, 1001);
    assert.ok(!decision.ok);
    assert.match(
      decision.error.message,
      /refuses uid 1001 \(pid 99\).*add the user to the hnet group \(gid 4242\)/,
    );
  });
});
