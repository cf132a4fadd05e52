// That READY=1 reaches systemd once the helper listens is shown by e2e/helper-start-order.test.ts;
// here, that a notification which cannot be delivered does not fail silently.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { notifySystemdReady } from './systemd-notify.js';

test('a readiness notification systemd cannot receive is reported, not lost in silence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hnet-notify-'));
  try {
    const reported = new Promise<Error>((resolve) =>
      notifySystemdReady(resolve, { ...process.env, NOTIFY_SOCKET: join(dir, 'nobody-listens.sock') }),
    );
    assert.match((await reported).message, /systemd-notify --ready exited with status \d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
