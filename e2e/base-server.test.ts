// The base server between two devices behind NAT routers, each a real process in its own network
// namespace: registration, the NAT-observed endpoints, the late-endpoint push, and relayed data over
// UDP — or over TCP for a device whose network blocks UDP.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatAddress } from '../src-protocol/address.js';
import { initCrypto } from '../src-protocol/crypto.js';
import { generateIdentity, serializeIdentity, type Identity } from '../src-protocol/identity.js';
import { Lab, type Host, type LabProcess, type Router } from './lab/index.js';

const agentScript = 'e2e/clients/base-client-agent.ts';

describe('base server between two devices behind NAT', () => {
  let lab: Lab;
  let scratch: string;
  let server: Host;
  let hostA: Host;
  let hostB: Host;
  let natA: Router;
  let natB: Router;
  let spare: Host;
  const identities: { identity: Identity; file: string }[] = [];

  before(async () => {
    await initCrypto();
    lab = await Lab.create();
    scratch = await mkdtemp(join(tmpdir(), 'hnet-base-e2e-'));
    const inet = await lab.segment('inet');
    const lanA = await lab.segment('lana');
    const lanB = await lab.segment('lanb');
    natA = await lab.router('nata', { wan: inet, lan: lanA, mode: 'cone' });
    natB = await lab.router('natb', { wan: inet, lan: lanB, mode: 'cone' });
    hostA = await lab.host('alpha', { on: lanA });
    hostB = await lab.host('bravo', { on: lanB });
    server = await lab.host('base', { on: inet });
    spare = await lab.host('spare', { on: inet });
    const base = server.spawnScript('src-server/cli.ts', [
      'base',
      '--tcp',
      '0.0.0.0:443',
      '--udp',
      '0.0.0.0:5582',
      '--metrics',
      '127.0.0.1:9582',
    ]);
    await base.waitForOutput(/listening on TCP/);
    for (let i = 0; i < 4; i++) {
      const identity = generateIdentity();
      const file = join(scratch, `id${i}`);
      await writeFile(file, serializeIdentity(identity), { mode: 0o600 });
      identities.push({ identity, file });
    }
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const address = (i: number) => formatAddress(identities[i]!.identity.address);

  function agent(host: Host, me: number, peer: number): LabProcess {
    return host.spawnScript(agentScript, [
      '--base',
      `${server.ip}:443`,
      '--identity',
      identities[me]!.file,
      '--peer',
      address(peer),
    ]);
  }

  async function metrics(): Promise<string> {
    const { stdout } = await server.exec([
      process.execPath,
      '-e',
      'fetch("http://127.0.0.1:9582/metrics").then((r) => r.text()).then((t) => process.stdout.write(t))',
    ]);
    return stdout;
  }

  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  test('behind cone NATs they learn each other’s public endpoints and relay both ways over UDP', async () => {
    // A asks about B before B exists: only the late-endpoint push can tell it.
    const a = agent(hostA, 0, 1);
    await a.waitForOutput(/"event":"natOk"/);
    const b = agent(hostB, 1, 0);
    await b.waitForOutput(/"event":"natOk","from":"[\d.]+:5582"/);

    const bPublic = new RegExp(
      `"event":"addresses","id":"${address(1)}","endpoints":\\[[^\\]]*"${escaped(natB.publicIp)}:\\d+"`,
    );
    const bLocal = new RegExp(
      `"event":"addresses","id":"${address(1)}","endpoints":\\[[^\\]]*"${escaped(hostB.ip)}:\\d+"`,
    );
    await a.waitForOutput(bPublic);
    await a.waitForOutput(bLocal);
    assert.doesNotMatch(a.stdout, /127\.0\.0\.1/, 'loopback is never handed out');
    await b.waitForOutput(
      new RegExp(
        `"event":"addresses","id":"${address(0)}","endpoints":\\[[^\\]]*"${escaped(natA.publicIp)}:\\d+"`,
      ),
    );

    await a.waitForOutput(new RegExp(`"event":"data","from":"${address(1)}","via":"udp"`));
    await b.waitForOutput(new RegExp(`"event":"data","from":"${address(0)}","via":"udp"`));
    const text = await metrics();
    assert.match(text, /^hnet_base_clients 2$/m);
    assert.match(text, /^hnet_base_address_pushes_total [1-9]\d*$/m);
    assert.match(text, /^hnet_base_relayed_packets_total\{path="udp"\} [1-9]\d*$/m);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('with UDP blocked for one device, data reaches it over TCP and still leaves it', async () => {
    await natA.setMode('udpBlocked');
    try {
      const a = agent(hostA, 2, 3);
      const b = agent(hostB, 3, 2);
      await b.waitForOutput(new RegExp(`"event":"data","from":"${address(2)}"`));
      await a.waitForOutput(new RegExp(`"event":"data","from":"${address(3)}","via":"tcp"`), 15_000);
      assert.doesNotMatch(a.stdout, /"event":"natOk"/, 'NAT_INIT cannot get through');
      assert.doesNotMatch(a.stdout, /"via":"udp"/);
      // B is reachable over UDP, so what A sends over TCP reaches B over UDP.
      await b.waitForOutput(new RegExp(`"event":"data","from":"${address(2)}","via":"udp"`));
      assert.match(await metrics(), /^hnet_base_relayed_packets_total\{path="tcp"\} [1-9]\d*$/m);
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await natA.setMode('cone');
    }
  });

  test('the shipped systemd unit’s command binds port 443 as an unprivileged user with one capability', async () => {
    const unit = await readFile('src-server/systemd/hnet-base.service', 'utf8');
    const execStart = /^ExecStart=.*\/cli\.js (.*)$/m.exec(unit);
    assert.ok(execStart, 'the unit runs cli.js');
    // What DynamicUser + AmbientCapabilities=CAP_NET_BIND_SERVICE amount to, without systemd.
    const unprivileged = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs'];
    const withCapability = [
      ...unprivileged,
      '--inh-caps=+net_bind_service',
      '--ambient-caps=+net_bind_service',
      '--bounding-set=-all,+net_bind_service',
    ];
    const node = [process.execPath, '--import', 'tsx', 'src-server/cli.ts', ...execStart[1]!.split(/\s+/)];

    const refused = await spare.exec([...unprivileged, ...node], { allowFailure: true });
    assert.match(refused.stderr, /Ports below 1024 need CAP_NET_BIND_SERVICE/);

    const base = spare.spawn([...withCapability, ...node]);
    await base.waitForOutput(/listening on TCP 0\.0\.0\.0:443 and UDP 0\.0\.0\.0:5582/);
    const a = hostA.spawnScript(agentScript, [
      '--base',
      `${spare.ip}:443`,
      '--identity',
      identities[0]!.file,
    ]);
    await a.waitForOutput(/"event":"ready"/);
    await Promise.all([a.stop(), base.stop()]);
  });
});
