import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from './config.js';

describe('hnetd configuration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const withFile = async (name: string, content: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  test('without a config file a headless machine gets the documented defaults', async () => {
    const config = await loadConfig({ env: { HNET_CONFIG: undefined }, file: undefined });
    assert.ok(config.ok, JSON.stringify(config));
    assert.equal(config.value.stateDir, '/var/lib/hnet');
    assert.equal(config.value.controlSocket, '/run/hnet/control.sock');
    assert.equal(config.value.udpPort, 5582);
    assert.deepEqual(config.value.baseServers, []);
  });

  test('the file sets values and the environment overrides the file', async () => {
    const file = await withFile(
      'good.json',
      JSON.stringify({ stateDir: '/srv/hnet', udpPort: 6000, baseServers: ['base.example.com:443'] }),
    );
    const config = await loadConfig({
      file,
      env: {
        HNET_UDP_PORT: '6001',
        HNET_BASE_SERVERS: 'a.example, [2001:db8::1]:443',
        HNET_HOSTNAME: 'box-1',
      },
    });
    assert.ok(config.ok, JSON.stringify(config));
    assert.equal(config.value.stateDir, '/srv/hnet');
    assert.equal(config.value.udpPort, 6001);
    assert.deepEqual(config.value.baseServers, ['a.example', '[2001:db8::1]:443']);
    assert.equal(config.value.hostname, 'box-1');
  });

  const rejects = async (content: string, env: Record<string, string>, expected: RegExp) => {
    const file = await withFile('bad.json', content);
    const config = await loadConfig({ file, env });
    assert.equal(config.ok, false);
    if (!config.ok) {
      assert.equal(config.error.kind, 'BadConfig');
      assert.match(config.error.message, expected);
    }
  };

  test('a misspelt key is named, with the keys that exist', () =>
    rejects('{"stateDirectory": "/x"}', {}, /unknown key "stateDirectory" \(known keys: stateDir, /));

  test('a value of the wrong kind names its key and what it must be', () =>
    rejects('{"udpPort": 70000}', {}, /"udpPort" must be an integer from 1 to 65535 \(got 70000\)/));

  test('a bad entry in a list names its position', () =>
    rejects('{"baseServers": ["ok.example", "not a host"]}', {}, /"baseServers\[1\]" must be a server/));

  test('a relative path is refused', () =>
    rejects('{"stateDir": "var/lib"}', {}, /"stateDir" must be an absolute path/));

  test('broken JSON says so and names the file', () =>
    rejects('{"udpPort": ', {}, /bad\.json is not valid JSON/));

  test('a bad environment value names the variable', () =>
    rejects('{}', { HNET_UDP_PORT: 'fast' }, /environment: "HNET_UDP_PORT" must be an integer/));

  test('a config file named explicitly must exist', async () => {
    const config = await loadConfig({ file: join(dir, 'absent.json'), env: {} });
    assert.equal(config.ok, false);
    if (!config.ok) assert.match(config.error.message, /cannot read config file .*absent\.json/);
  });
});
