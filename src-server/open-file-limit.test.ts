import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBaseOptions } from './base/config.js';
import { STATUS_LIMITS } from './base/status-http.js';
import { fitBaseToOpenFiles, openFileLimit, OWN_DESCRIPTORS } from './open-file-limit.js';

const limits = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63704                63704                processes
Max open files            1024                 4096                 files
Max locked memory         8388608              8388608              bytes
`;

test('the soft open-file limit is read from /proc/self/limits', () => {
  assert.equal(
    openFileLimit(() => limits),
    1024,
  );
  assert.equal(
    openFileLimit(() => limits.replace('1024 ', 'unlimited ')),
    undefined,
  );
  assert.equal(
    openFileLimit(() => {
      throw new Error('ENOENT');
    }),
    undefined,
  );
  assert.equal(typeof openFileLimit(), 'number');
});

test("the base's cap is lowered to the descriptors left beside the dashboard's, and says how to raise it", () => {
  const parsed = parseBaseOptions([]);
  assert.ok(parsed.ok && parsed.value);
  const fitted = fitBaseToOpenFiles(parsed.value, 256, 1024);
  const room = 1024 - OWN_DESCRIPTORS - STATUS_LIMITS.total - 256;
  assert.equal(fitted.config.limits.maxConnections, room);
  assert.match(
    fitted.warning!,
    new RegExp(`holds ${room} base connections, not 20000.*to ${20000 + 1024 - room}`),
  );
  // The unit's LimitNOFILE is the sum of the caps: nothing to lower there.
  assert.deepEqual(fitBaseToOpenFiles(parsed.value, 256, 20_400), {
    config: parsed.value,
    warning: undefined,
  });
  assert.deepEqual(fitBaseToOpenFiles(parsed.value, 256, undefined).config, parsed.value);
});
