import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultPaths, loadHelperConfig } from './config.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hnet-config-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function load(content: string): Promise<ReturnType<typeof loadHelperConfig>> {
  const path = join(dir, 'helper.json');
  await writeFile(path, content);
  return loadHelperConfig(path);
}

async function groupFile(content: string): Promise<string> {
  const path = join(dir, `group-${Math.random().toString(16).slice(2)}`);
  await writeFile(path, content);
  return path;
}

test('without a config file, and no hnet group on the machine, only root may call, on the standard paths', async () => {
  const noHnetGroup = await groupFile('root:x:0:\nstaff:x:50:\n');
  assert.deepEqual(await loadHelperConfig(join(dir, 'absent.json'), noHnetGroup), {
    socketPath: '/run/hnet-helper/helper.sock',
    hostsFile: '/etc/hosts',
    stateFile: '/run/hnet-helper/state.json',
    allowedGid: undefined,
    allowedUids: [],
    pipePath: '\\\\.\\pipe\\hnet-helper',
    allowedSids: [],
  });
});

test('Windows callers are named by SID and the control pipe must be a local pipe name', async () => {
  const user = 'S-1-5-21-1004336348-1177238915-682003330-1001';
  const config = await load(
    `{"sids":["${user}","S-1-5-32-545"],"pipePath":"\\\\\\\\.\\\\pipe\\\\hnet-test"}`,
  );
  assert.deepEqual(config.allowedSids, [user, 'S-1-5-32-545']);
  assert.equal(config.pipePath, '\\\\.\\pipe\\hnet-test');
  await assert.rejects(load('{"sids":["alice"]}'), /"sids\[0\]" must be a SID/);
  await assert.rejects(load('{"sids":["S-1-5"]}'), /must be a SID/);
  await assert.rejects(load('{"pipePath":"C:\\\\hnet"}'), /"pipePath" must be a pipe name/);
  await assert.rejects(
    load('{"pipePath":"\\\\\\\\server\\\\pipe\\\\hnet"}'),
    /"pipePath" must be a pipe name/,
  );
});

test("where the hnet group exists (hnetd's user is in it) a config naming no one admits that group", async () => {
  const withHnet = await groupFile('root:x:0:\nhnet:x:998:\n');
  assert.equal((await loadHelperConfig(join(dir, 'absent.json'), withHnet)).allowedGid, 998);
  const path = join(dir, 'paths-only.json');
  await writeFile(path, '{"hostsFile":"/tmp/hosts"}');
  assert.equal((await loadHelperConfig(path, withHnet)).allowedGid, 998);
  await writeFile(path, '{"uids":[1000]}');
  assert.equal((await loadHelperConfig(path, withHnet)).allowedGid, undefined);
});

test('a group is named or numbered, and names are looked up in /etc/group', async () => {
  assert.equal((await load('{"group":"root"}')).allowedGid, 0);
  assert.equal((await load('{"group":4242,"uids":[1000,1001]}')).allowedGid, 4242);
  await assert.rejects(load('{"group":"no-such-group-here"}'), /does not exist; create it with "groupadd/);
});

test('mistakes in the file are reported with the file name and what to fix', async () => {
  await assert.rejects(load('{"group":'), /helper\.json is not valid JSON/);
  await assert.rejects(load('{"groups":"hnet"}'), /unknown key "groups"/);
  await assert.rejects(load('{"socketPath":"run/helper.sock"}'), /"socketPath" must be an absolute path/);
  await assert.rejects(load('{"uids":[1000,1001]}'), /also name a "group"/);
});

test('on Windows the helper keeps its files in ProgramData and manages the system hosts file', () => {
  const windows = defaultPaths('win32');
  assert.match(windows.hostsFile, /\\System32\\drivers\\etc\\hosts$/);
  assert.match(windows.config, /\\hnet\\helper\.json$/);
  assert.match(windows.stateFile, /\\hnet\\helper-state\.json$/);
  assert.deepEqual(defaultPaths('linux'), {
    config: '/etc/hnet/helper.json',
    hostsFile: '/etc/hosts',
    stateFile: '/run/hnet-helper/state.json',
  });
});
