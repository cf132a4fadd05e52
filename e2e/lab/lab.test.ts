import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GROUP_MEMBER, Lab, LOCAL_USER, type Host, type LabUser, type NetNode } from './index.js';

const probe = 'e2e/lab/fixtures/net-probe.ts';
const udpPort = 7000;
const tcpPort = 7001;
const beaconPort = '5581';

interface UdpAnswers {
  readonly localPort: number;
  readonly replies: { readonly target: string; readonly seenFrom: string | null }[];
}

/** Asks UDP echo servers from one socket; seenFrom is what each server saw as the source. */
async function askUdp(
  from: Host,
  servers: readonly Host[],
  extra: readonly string[] = [],
): Promise<UdpAnswers> {
  const targets = servers.map((server) => `${server.ip}:${udpPort}`);
  const { stdout } = await from.runScript(probe, ['udp-ask', ...targets, ...extra]);
  return JSON.parse(stdout) as UdpAnswers;
}

function seenFrom(answers: UdpAnswers): (string | null)[] {
  return answers.replies.map((reply) => reply.seenFrom);
}

async function startListener(node: NetNode, args: readonly string[]) {
  const listener = node.spawnScript(probe, args);
  await listener.waitForOutput(/ready/);
  return listener;
}

const lab = await Lab.create();
after(() => lab.destroy());

const inet = await lab.segment('inet');
const [lan1, lan2, lan3] = [await lab.segment('lan1'), await lab.segment('lan2'), await lab.segment('lan3')];
const cone = await lab.router('cone', { wan: inet, lan: lan1, mode: 'cone' });
const symmetric = await lab.router('sym', { wan: inet, lan: lan2, mode: 'symmetric' });
const blocked = await lab.router('noudp', { wan: inet, lan: lan3, mode: 'udpBlocked' });
const a = await lab.host('a', { on: lan1 });
const b = await lab.host('b', { on: lan1 });
const c = await lab.host('c', { on: lan2 });
const d = await lab.host('d', { on: lan3 });
const server1 = await lab.host('server1', { on: inet });
const server2 = await lab.host('server2', { on: inet });
for (const server of [server1, server2]) await startListener(server, ['udp-echo', String(udpPort)]);
await startListener(server1, ['tcp-echo', String(tcpPort)]);

describe('network lab', () => {
  test('UDP from behind a cone NAT reaches an Internet server, which sees the NAT address, and the reply returns', async () => {
    const answers = await askUdp(a, [server1]);
    assert.deepEqual(seenFrom(answers), [`${cone.publicIp}:${answers.localPort}`]);
  });

  test('a symmetric NAT shows one socket to two destinations under two different public ports', async () => {
    const [toServer1, toServer2] = seenFrom(await askUdp(c, [server1, server2]));
    assert.ok(toServer1 && toServer2, 'both servers should have answered');
    assert.equal(toServer1.split(':')[0], symmetric.publicIp);
    assert.equal(toServer2.split(':')[0], symmetric.publicIp);
    assert.notEqual(toServer1.split(':')[1], toServer2.split(':')[1]);
  });

  test('a cone NAT shows one socket to two destinations under the same public port (its own)', async () => {
    const answers = await askUdp(a, [server1, server2], ['--port=40000']);
    assert.deepEqual(seenFrom(answers), [`${cone.publicIp}:40000`, `${cone.publicIp}:40000`]);
  });

  test('behind udpBlocked, UDP to the Internet gets no answer while TCP connects; switching to cone lets UDP through', async () => {
    assert.deepEqual(seenFrom(await askUdp(d, [server1], ['--timeout=1000'])), [null]);

    const { stdout } = await d.runScript(probe, ['tcp-ask', `${server1.ip}:${tcpPort}`]);
    assert.equal((JSON.parse(stdout) as { seenFrom: string }).seenFrom.split(':')[0], blocked.publicIp);

    await blocked.setMode('cone');
    try {
      const answers = await askUdp(d, [server1]);
      assert.deepEqual(seenFrom(answers), [`${blocked.publicIp}:${answers.localPort}`]);
    } finally {
      await blocked.setMode('udpBlocked');
    }
  });

  test('a cut on the Internet drops traffic between two addresses only, until healed', async () => {
    const cut = await inet.cut(cone.publicIp, server1.ip);
    try {
      assert.deepEqual(seenFrom(await askUdp(a, [server1], ['--timeout=500'])), [null]);
      assert.equal(seenFrom(await askUdp(a, [server2]))[0]?.split(':')[0], cone.publicIp);
      assert.equal(seenFrom(await askUdp(c, [server1]))[0]?.split(':')[0], symmetric.publicIp);
    } finally {
      await cut.heal();
    }
    assert.equal(seenFrom(await askUdp(a, [server1]))[0]?.split(':')[0], cone.publicIp);
  });

  test('each host has its own /etc/hosts, which it can rewrite without touching the machine or other hosts', async () => {
    await a.exec(['sh', '-c', 'echo "fc94::a1 only-in-a" >> /etc/hosts']);
    assert.match((await a.exec(['cat', '/etc/hosts'])).stdout, /only-in-a/);
    assert.match(readFileSync(a.hostsFile, 'utf8'), new RegExp(`^${a.ip} a$`, 'm'));
    assert.doesNotMatch((await b.exec(['cat', '/etc/hosts'])).stdout, /only-in-a/);
    assert.doesNotMatch(readFileSync('/etc/hosts', 'utf8'), /only-in-a/);
  });

  test('an IPv4 LAN beacon to 224.3.252.148:5581 reaches the other host on the LAN', async () => {
    const listener = await startListener(b, ['mcast-listen', '224.3.252.148', beaconPort]);
    await a.runScript(probe, ['mcast-send', '224.3.252.148', beaconPort, 'beacon from a']);
    await listener.exited;
    assert.deepEqual(JSON.parse(listener.stdout.split('\n')[1] ?? ''), { from: a.ip, text: 'beacon from a' });
  });

  test('an IPv6 LAN beacon to the ff02:: group reaches the other host on the LAN', async () => {
    const group = 'ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac';
    const listener = await startListener(b, ['mcast-listen', group, beaconPort]);
    await a.runScript(probe, ['mcast-send', group, beaconPort, 'beacon from a']);
    await listener.exited;
    const received = JSON.parse(listener.stdout.split('\n')[1] ?? '') as { from: string; text: string };
    assert.equal(received.text, 'beacon from a');
    assert.match(received.from, /^fe80:/);
  });

  for (const [who, user] of [
    ['a member of the helper group', GROUP_MEMBER],
    ['a user with no supplementary groups', LOCAL_USER],
  ] as [string, LabUser][]) {
    test(`a process run as ${who} has that uid, gid and groups, no capabilities, and a HOME it owns`, async () => {
      const report = a.spawn(['sh', '-c', 'cat /proc/self/status; stat -c "home %u %a" "$HOME"'], { user });
      assert.deepEqual(await report.exited, { code: 0, signal: null }, report.stderr);
      const field = (name: string): string =>
        new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(report.stdout)?.[1]?.trim() ?? '';
      assert.equal(field('Uid'), Array(4).fill(user.uid).join('\t'));
      assert.equal(field('Gid'), Array(4).fill(user.gid).join('\t'));
      assert.deepEqual(field('Groups').split(/\s+/).filter(Boolean).map(Number), user.groups ?? []);
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
        assert.equal(field(set), '0000000000000000', `${set} should be empty`);
      assert.equal(field('NoNewPrivs'), '1');
      assert.match(report.stdout, new RegExp(`^home ${user.uid} 700$`, 'm'));
      const { stdout } = await a.exec(['id', '-u'], { user });
      assert.equal(stdout.trim(), String(user.uid));
    });
  }
});
