import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ADMINISTRATORS_SID,
  isPipeClientAllowed,
  pipeSecurityDescriptor,
  SYSTEM_SID,
} from './pipe-security.js';

const ALICE = 'S-1-5-21-1004336348-1177238915-682003330-1001';
const MALLORY = 'S-1-5-21-1004336348-1177238915-682003330-1002';
const HNET_GROUP = 'S-1-5-21-1004336348-1177238915-682003330-1010';
const USERS = 'S-1-5-32-545';

describe('Windows pipe access', () => {
  test('the DACL grants SYSTEM, Administrators and the allowed accounts, and no one else', () => {
    assert.equal(
      pipeSecurityDescriptor([ALICE, HNET_GROUP, ALICE]),
      `D:P(A;;GA;;;${SYSTEM_SID})(A;;GA;;;${ADMINISTRATORS_SID})(A;;GRGW;;;${ALICE})(A;;GRGW;;;${HNET_GROUP})`,
    );
  });

  test('something that is not a SID cannot be smuggled into the DACL', () => {
    assert.throws(() => pipeSecurityDescriptor([`${ALICE})(A;;GA;;;WD`]), RangeError);
    assert.throws(() => pipeSecurityDescriptor(['Everyone']), RangeError);
  });

  test('the engine that asked for the session is admitted, another process of the same user is not', () => {
    const engine = { pid: 4242, sid: ALICE, groups: [USERS] };
    assert.equal(isPipeClientAllowed(engine, [ALICE], 4242), true);
    assert.equal(isPipeClientAllowed({ ...engine, pid: 4243 }, [ALICE], 4242), false);
  });

  test('another user is refused unless through an allowed group; SYSTEM and elevated admins always pass', () => {
    assert.equal(isPipeClientAllowed({ pid: 1, sid: MALLORY, groups: [USERS] }, [ALICE]), false);
    assert.equal(
      isPipeClientAllowed({ pid: 1, sid: MALLORY, groups: [USERS, HNET_GROUP] }, [HNET_GROUP]),
      true,
    );
    assert.equal(isPipeClientAllowed({ pid: 1, sid: SYSTEM_SID, groups: [] }, [ALICE]), true);
    assert.equal(isPipeClientAllowed({ pid: 1, sid: MALLORY, groups: [ADMINISTRATORS_SID] }, [ALICE]), true);
  });
});
