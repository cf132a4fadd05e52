import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { autostartEntry, autostartFile, isAutostartOn, setAutostart } from './autostart.js';

describe('start at login (XDG autostart)', () => {
  test('turning it on writes ~/.config/autostart/hnet.desktop, turning it off removes it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hnet-autostart-'));
    const env = { HOME: home };
    try {
      assert.equal(autostartFile(env), join(home, '.config/autostart/hnet.desktop'));
      assert.equal(await isAutostartOn(env), false);
      await setAutostart(true, ['/opt/hnet/hnet', '--hidden'], env);
      assert.equal(await isAutostartOn(env), true);
      assert.match(await readFile(autostartFile(env), 'utf8'), /^Exec=\/opt\/hnet\/hnet --hidden$/m);
      await setAutostart(false, [], env);
      assert.equal(await isAutostartOn(env), false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test('XDG_CONFIG_HOME wins over HOME', () => {
    assert.equal(autostartFile({ HOME: '/home/a', XDG_CONFIG_HOME: '/cfg' }), '/cfg/autostart/hnet.desktop');
  });

  test('a path with spaces or quotes stays one argument on the Exec line', () => {
    assert.match(
      autostartEntry(['/home/a b/hnet "x".AppImage', '--hidden']),
      /^Exec="\/home\/a b\/hnet \\"x\\"\.AppImage" --hidden$/m,
    );
  });
});
