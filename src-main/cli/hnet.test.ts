// The CLI against a real hnetd process (temp state directory and socket), as a user would run it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:http';
import { initCrypto } from '../../src-protocol/crypto.js';
import { LICENSE_KEY_PATH, LICENSE_PATH } from '../../src-protocol/license-key.js';
import { issueLicense } from '../../src-server/license/license-issuer.js';
import { loadOrCreateSigningKey } from '../../src-server/license/signing-key.js';
import { parseIdentityFile } from '../../src-protocol/identity.js';
import type { NetcheckReport } from '../contract/diagnostics.js';
import type { Status } from '../contract/status.js';
import { listenOnBadPort } from '../engine/control/test-bad-ports.js';

const root = new URL('../..', import.meta.url).pathname;
const hnetPath = join(root, 'src-main/cli/hnet.ts');
const hnetdPath = join(root, 'src-main/cli/hnetd.ts');
const PEER = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';
const asRoot = process.getuid?.() === 0;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  prefix: string[] = [],
): Promise<Ran> {
  const [command, ...argv] = [...prefix, process.execPath, '--import', 'tsx', script, ...args] as [
    string,
    ...string[],
  ];
  return new Promise((resolve) => {
    execFile(command, argv, { cwd: root, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hnet CLI against a running hnetd', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let daemon: ChildProcess | undefined;
  let daemonLog = '';

  const hnet = (...args: string[]) => runNode(hnetPath, args, env);
  const hnetAsNobody = (...args: string[]) =>
    runNode(hnetPath, args, env, ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups']);

  async function startDaemon(extra: string[] = []): Promise<void> {
    daemonLog = '';
    daemon = spawn(process.execPath, ['--import', 'tsx', hnetdPath, ...extra], { cwd: root, env });
    daemon.stderr?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
    const waited = await hnet('wait', 'daemon', '--timeout', '20');
    assert.equal(waited.code, 0, `hnetd did not start:\n${daemonLog}${waited.stderr}`);
  }

  async function stopDaemon(): Promise<number | null> {
    const child = daemon;
    daemon = undefined;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  before(async () => {
    await initCrypto();
    dir = await mkdtemp(join(tmpdir(), 'hnet-cli-'));
    await chmod(dir, 0o755);
    const configFile = join(dir, 'hnetd.json');
    await writeFile(configFile, JSON.stringify({ hostname: 'clibox', logLevel: 'info' }));
    env = {
      ...process.env,
      HNET_CONFIG: configFile,
      HNET_STATE_DIR: join(dir, 'state'),
      HNET_CONTROL_SOCKET: join(dir, 'run', 'control.sock'),
      HNET_HELPER_SOCKET: join(dir, 'run', 'helper.sock'),
      // A unit test asks no real router for a port mapping.
      HNET_PORT_MAPPING: 'off',
      // Started by root, hnetd gives up root for this user, as it would for the hnet user.
      ...(asRoot ? { HNET_USER: '64221:64221' } : {}),
    };
    await startDaemon();
  });

  after(async () => {
    await stopDaemon();
    await rm(dir, { recursive: true, force: true });
  });

  test('whitelist add, ls and rm', async () => {
    const added = await hnet('whitelist', 'add', PEER);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239 to the whitelist/);
    const listed = await hnet('whitelist', 'ls');
    assert.match(
      listed.stdout,
      /whitelist on: only this address may connect\n {2}fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239/,
    );
    const removed = await hnet('whitelist', 'rm', PEER);
    assert.equal(removed.code, 0, removed.stderr);
    const json = await hnet('whitelist', 'ls', '--json');
    assert.deepEqual(JSON.parse(json.stdout), { enabled: true, addresses: [] });
    const again = await hnet('whitelist', 'rm', PEER);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not on the whitelist/);
  });

  test('a mistyped address is a usage error that says what is wrong', async () => {
    const result = await hnet('whitelist', 'add', 'fd00::1');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /hnet: bad address: "fd00::1" is not an hnet address inside fc94::\/16/);
  });

  test('status --json describes this device, with no peers and no data plane yet', async () => {
    const result = await hnet('status', '--json');
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as {
      address: string;
      hostname: string;
      peers: unknown[];
      base: { state: string };
    };
    assert.match(status.address, /^fc94(:[0-9a-f]{4}){7}$/);
    assert.equal(status.hostname, 'clibox');
    assert.deepEqual(status.peers, []);
    assert.equal(status.base.state, 'offline');
    const ip = await hnet('ip');
    assert.equal(ip.stdout.trim(), status.address);
  });

  test('hosts add and ls, and ip resolves the name', async () => {
    const added = await hnet('hosts', 'add', 'laptop', 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239');
    assert.equal(added.code, 0, added.stderr);
    const listed = await hnet('hosts', 'ls');
    assert.match(listed.stdout, /^laptop {2}fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239$/m);
    const ip = await hnet('ip', 'laptop');
    assert.equal(ip.stdout.trim(), PEER);
  });

  test(
    'a user other than root or the daemon owner may read but not change',
    { skip: asRoot ? false : 'needs root to run hnet as nobody' },
    async () => {
      const read = await hnetAsNobody('status');
      assert.equal(read.code, 0, read.stderr);
      assert.match(read.stdout, /^address {4}fc94:/m);
      const write = await hnetAsNobody('whitelist', 'add', PEER);
      assert.equal(write.code, 1);
      assert.match(write.stderr, /not permitted: changing settings needs root or the user who runs hnetd/);
    },
  );

  test('status --watch prints a fresh status when something changes', async () => {
    const watcher = spawn(process.execPath, ['--import', 'tsx', hnetPath, 'status', '--watch', '--json'], {
      cwd: root,
      env,
    });
    try {
      let output = '';
      const lines = () => output.split('\n').filter((l) => l.startsWith('{'));
      const sawChange = new Promise<void>((resolve) => {
        watcher.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (lines().some((l) => l.includes('watched-host'))) resolve();
        });
      });
      const deadline = Date.now() + 15_000;
      while (lines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(lines().length > 0, 'no first snapshot');
      await hnet('hosts', 'add', 'watched-host', 'fc94::42');
      await sawChange;
    } finally {
      watcher.kill('SIGINT');
    }
  });

  test('status --watch into a pipe prints timestamped lines for changes a user sees, and only those', async () => {
    const watcher = spawn(process.execPath, ['--import', 'tsx', hnetPath, 'status', '--watch'], {
      cwd: root,
      env,
    });
    try {
      let output = '';
      watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const lines = () => output.split('\n').filter((line) => line !== '');
      const waitUntil = async (what: string, check: () => boolean) => {
        const deadline = Date.now() + 15_000;
        while (!check()) {
          assert.ok(Date.now() < deadline, `${what}; got:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      await waitUntil('a first block', () => lines().some((line) => / hnet up$/.test(line)));
      for (const line of lines()) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S/);
      const first = lines().length;
      await hnet('hosts', 'add', 'piped-host', 'fc94::43');
      await waitUntil('a line for the change', () => lines().length > first);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // The new name, and what the engine did with it (/etc/hosts): nothing else moved.
      const added = lines().slice(first);
      assert.ok(
        added.some((line) => /Z host table \d+ names$/.test(line)),
        added.join('\n'),
      );
      for (const line of added) assert.match(line, /Z (host table|\/etc\/hosts) /);
    } finally {
      watcher.kill('SIGINT');
    }
  });

  test('a wrong option is answered with the command’s usage, a wrong count with what it must be', async () => {
    const unknown = await hnet('status', '--frobnicate');
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      'hnet: "hnet status" has no option --frobnicate; usage: hnet status [--json] [--watch]\n',
    );
    const count = await hnet('ping', 'somebody', '--count', 'many');
    assert.equal(count.code, 2);
    assert.match(count.stderr, /^hnet: --count must be a whole number .*; usage: hnet ping <name\|address>/);
  });

  test('ping names what it cannot ping; netcheck with no base server says what it could not check', async () => {
    const unknown = await hnet('ping', 'no-such-host', '--count', '1');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown host "no-such-host"/);
    const stranger = await hnet('ping', PEER, '--count', '1');
    assert.equal(stranger.code, 1);
    assert.match(stranger.stderr, /is not on the whitelist/);
    const netcheck = await hnet('netcheck', '--json');
    assert.equal(netcheck.code, 0, netcheck.stderr);
    const report = JSON.parse(netcheck.stdout) as NetcheckReport;
    assert.equal(report.connection, 'up');
    assert.equal(report.mapping.behaviour, 'unknown');
    assert.equal(report.portMapping.state, 'off');
    const shown = await hnet('netcheck');
    assert.match(shown.stdout, /^port mapping: off: switched off \(portMapping, HNET_PORT_MAPPING\)/m);
  });

  test('down is kept across a restart of hnetd, and up brings the engine back', async () => {
    const connection = async () => (JSON.parse((await hnet('status', '--json')).stdout) as Status).connection;
    const down = await hnet('down');
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /^hnet is down: /);
    assert.equal(await connection(), 'down');
    assert.match((await hnet('status')).stdout, /^hnet {7}down: /m);
    const refused = await hnet('ping', 'clibox', '--count', '1');
    assert.equal(refused.code, 2, 'pinging itself is a usage error');
    assert.equal(await stopDaemon(), 0, daemonLog);
    await startDaemon();
    assert.equal(await connection(), 'down');
    assert.match(daemonLog, /event=connection state=down/);
    const up = await hnet('up', '--json');
    assert.equal(up.code, 0, up.stderr);
    assert.equal((JSON.parse(up.stdout) as Status).connection, 'up');
    assert.equal(await connection(), 'up');
  });

  test('bugreport writes one file for its owner only, with status and settings and no secret key', async () => {
    const output = join(dir, 'report.txt');
    const result = await hnet('bugreport', '--output', output);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^wrote .*report\.txt \(readable only by you\)/);
    assert.equal((await stat(output)).mode & 0o777, 0o600);
    const text = await readFile(output, 'utf8');
    const [address, , secretKey] = (await readFile(join(dir, 'state', 'id'), 'utf8')).trim().split(' ');
    assert.ok(!text.includes(secretKey!), 'the identity secret key is not in the report');
    assert.match(text, /^== status ==$/m);
    assert.ok(text.includes(address!), 'the status is');
    assert.match(text, /^== settings \(/m);
    assert.match(text, /^== log \(/m);
    const again = await hnet('bugreport', '--output', output);
    assert.equal(again.code, 1, 'an existing file is never replaced');
    assert.match(again.stderr, /exists already/);
    const json = await hnet('bugreport', '--json', '--output', join(dir, 'report.json'));
    assert.equal(json.code, 0, json.stderr);
    const { file } = JSON.parse(json.stdout) as { file: string };
    const report = JSON.parse(await readFile(file, 'utf8')) as { status: { ok: boolean; value: Status } };
    assert.equal(report.status.value.address, address);
  });

  test('wait peer names what it waited for when time runs out, and refuses an unknown name', async () => {
    const [timedOut, unknown] = await Promise.all([
      hnet('wait', 'peer', PEER, '--timeout', '1'),
      hnet('wait', 'peer', 'no-such-host', '--timeout', '1'),
    ]);
    assert.equal(timedOut.code, 1);
    assert.match(timedOut.stderr, /timed out after 1 s waiting for fc94:1350/);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown host "no-such-host"/);
  });

  test('setup-server shows the key first, refuses a wrong one, and switches on the right one for good', async () => {
    const key = await loadOrCreateSigningKey(join(dir, 'license-key'));
    const issued = issueLicense(
      {
        name: 'CLI lab',
        dashboardUrl: 'http://127.0.0.1',
        websetupHost: PEER,
        baseServers: ['127.0.0.1'],
        maxDevices: 10,
      },
      key,
    );
    assert.ok(issued.ok);
    const site = createServer((req, res) => {
      const body =
        req.url === LICENSE_PATH
          ? issued.value.json
          : req.url === LICENSE_KEY_PATH
            ? issued.value.keyText
            : undefined;
      res.writeHead(body === undefined ? 404 : 200).end(body ?? 'not found');
    });
    // On a port fetch() refuses as a "bad port": a server there is a server all the same.
    const port = await listenOnBadPort(site);
    const url = `http://127.0.0.1:${port}`;
    const baseServer = async () =>
      (JSON.parse((await hnet('status', '--json')).stdout) as { base: { server: string | null } }).base
        .server;
    try {
      const shown = await hnet('setup-server', `127.0.0.1:${port}`);
      assert.equal(shown.code, 1, 'nothing was done yet');
      assert.match(
        shown.stdout,
        new RegExp(`^127\\.0\\.0\\.1:${port} \\(found at http://127\\.0\\.0\\.1:${port}\\) is CLI lab;`),
      );
      assert.match(shown.stdout, new RegExp(`signs its license with the key\\n\\n {4}${key.fingerprint}\\n`));
      assert.ok(
        shown.stdout.includes(`hnet setup-server ${url} --fingerprint '${key.fingerprint}'`),
        shown.stdout,
      );
      assert.equal(await baseServer(), null);

      const wrong = await hnet('setup-server', url, '--fingerprint', '0123 '.repeat(16));
      assert.equal(wrong.code, 1);
      assert.match(
        wrong.stderr,
        /signs with the key .*, not the one you confirmed\. Nothing was changed\. Check the fingerprint with the server's owner/,
      );
      const tls = await hnet('setup-server', url.replace('http:', 'https:'));
      assert.equal(tls.code, 1);
      assert.match(
        tls.stderr,
        new RegExp(`answers in plain HTTP, not HTTPS\\. Use ${url.replace(/\./g, '\\.')} `),
      );
      const notAnAddress = await hnet('setup-server', '10.77.0.256');
      assert.equal(notAnAddress.code, 2);
      assert.match(
        notAnAddress.stderr,
        /"10\.77\.0\.256" is not a server address: .* is not an IPv4 address/,
      );
      assert.equal(await baseServer(), null);
      const typo = await hnet('setup-server', url, '--fingerprint', 'abc');
      assert.equal(typo.code, 2);
      assert.match(typo.stderr, /bad key fingerprint: "abc"/);

      const used = await hnet('setup-server', url, '--fingerprint', key.fingerprint.replace(/ /g, ''));
      assert.equal(used.code, 0, used.stderr);
      assert.match(used.stdout, /now using CLI lab .*: base servers 127\.0\.0\.1/);
      assert.equal(await baseServer(), '127.0.0.1');

      // The config names no base server, so the one set up here is used after a restart too.
      assert.equal(await stopDaemon(), 0, daemonLog);
      await startDaemon();
      assert.equal(await baseServer(), '127.0.0.1');
    } finally {
      site.close();
    }
  });

  test('leave says when there is nothing to leave, and a bad join code is a usage error', async () => {
    const leave = await hnet('leave');
    assert.equal(leave.code, 1);
    assert.match(leave.stderr, /has not joined a network/);
    const badCode = await hnet('join', 'nonsense');
    assert.equal(badCode.code, 2);
    assert.match(badCode.stderr, /bad join code: "nonsense" — expected <fc94 address>\/<22 characters>/);
  });

  test('every command has --help, and a wrong command line exits 2', async () => {
    const commands = ['status', 'whitelist add', 'wait peer', 'join', 'setup-server', 'leave'];
    const [overview, ...helps] = await Promise.all([
      hnet('--help'),
      ...commands.map((command) => hnet(...command.split(' '), '--help')),
    ]);
    assert.equal(overview?.code, 0);
    commands.forEach((command, i) => {
      assert.match(overview?.stdout ?? '', new RegExp(`hnet ${command}`));
      assert.equal(helps[i]?.code, 0);
      assert.match(helps[i]?.stdout ?? '', new RegExp(`^usage: hnet ${command}`));
    });
    const wrong = await Promise.all([
      hnet('frobnicate'),
      hnet('whitelist'),
      hnet('hosts', 'add', 'only-a-name'),
    ]);
    assert.deepEqual(
      wrong.map((r) => r.code),
      [2, 2, 2],
    );
    assert.match(wrong[1]?.stderr ?? '', /"whitelist" needs one of: ls, add, rm, enable, disable/);
  });

  test('genid prints a valid identity without a daemon', async () => {
    const result = await runNode(hnetPath, ['genid'], {
      ...env,
      HNET_CONTROL_SOCKET: join(dir, 'nowhere.sock'),
    });
    assert.equal(result.code, 0);
    assert.ok(parseIdentityFile(result.stdout).ok, result.stdout);
  });

  test('the address survives a restart, and SIGTERM stops hnetd cleanly', async () => {
    const before = (await hnet('ip')).stdout.trim();
    assert.equal(await stopDaemon(), 0, daemonLog);
    assert.match(daemonLog, /event=stopped/);
    await assert.rejects(stat(join(dir, 'run', 'control.sock')));
    await assert.rejects(stat(join(dir, 'run', 'hnetd.pid')));
    const down = await hnet('status');
    assert.equal(down.code, 1);
    assert.match(down.stderr, /hnetd is not running \(no socket at .*control\.sock\) — start it with/);
    await startDaemon();
    assert.equal((await hnet('ip')).stdout.trim(), before);
    assert.match(daemonLog, /level=info event=ready address=fc94/);
  });

  test('hnetd refuses a bad config file and names the key', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"udpPort": "fast"}');
    const result = await runNode(hnetdPath, ['--config', bad], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /event=bad-config reason=".*"udpPort\\?" must be an integer/);
  });
});
