// Two base servers, two nodes behind symmetric NATs (so their traffic goes through a base) with both
// bases in their list. The base in use is blackholed — every packet to and from it silently
// dropped, no RST — and both nodes are on the other within 5 s, where their relayed pings resume.
// Then that base is killed and both are back on the first (which answers again) at once.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Host, Segment } from '../lab/index.js';
import {
  type BaseServer,
  introduce,
  liveStatus,
  longestGap,
  ping,
  pingsReceived,
  startBase,
  startMeasuredNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

/** What a dead route or a firewall that drops does: nothing in, nothing out, nothing said. */
const blackhole = (host: Host) =>
  host.exec(['nft', '-f', '-'], {
    input: [
      'table inet hnblackhole {',
      '  chain input { type filter hook input priority 0; policy drop; }',
      '  chain output { type filter hook output priority 0; policy drop; }',
      '}',
      '',
    ].join('\n'),
  });

const heal = (host: Host) => host.exec(['nft', 'delete', 'table', 'inet', 'hnblackhole']);

/** Resolves with how long (ms) until every node's status says it is connected to `server`. */
async function allOn(nodes: readonly StartedNode[], server: string, since: number): Promise<number[]> {
  return Promise.all(
    nodes.map(async (node) => {
      await waitForStatus(
        node,
        (status) => (status.base.state === 'connected' && status.base.server === server ? true : undefined),
        10_000,
        liveStatus(node),
      );
      return Date.now() - since;
    }),
  );
}

describe('nodes move between base servers', () => {
  const world = scenarioLab();
  let nodes: StartedNode[];
  let hosts: Host[];
  let bases: BaseServer[];

  before(async () => {
    const { lab, scratch } = world;
    const inet = await lab.segment('inet');
    hosts = [await lab.host('base1', { on: inet }), await lab.host('base2', { on: inet })];
    bases = await Promise.all(hosts.map((host) => startBase(host)));
    const homes: Segment[] = [];
    for (const i of [1, 2]) {
      const lan = await lab.segment(`lan${i}`);
      await lab.router(`nat${i}`, { wan: inet, lan, mode: 'symmetric' });
      homes.push(lan);
    }
    // On one bridge both bases are equally near: base2 is silent while the nodes choose, so that
    // both start on base1.
    await blackhole(hosts[1]!);
    const options = { baseServers: bases.map((b) => b.server) };
    nodes = await Promise.all(
      ['alpha', 'bravo'].map(async (name, i) =>
        startMeasuredNode(await lab.host(name, { on: homes[i]! }), scratch, options),
      ),
    );
    await introduce(nodes);
    await allOn(nodes, bases[0]!.server, Date.now());
    await heal(hosts[1]!);
  });

  test('the base in use blackholed: both nodes on the other within 5 s, and relayed pings resume', async (t) => {
    const [alpha, bravo] = nodes as [StartedNode, StartedNode];
    const count = 75;
    const intervalS = 0.2;
    const pinging = ping(alpha.host, bravo.hostname, { count, intervalS });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const healthyLog = alpha.daemon.stderr;
    const at = Date.now();
    await blackhole(hosts[0]!);
    const took = await allOn(nodes, bases[1]!.server, at);
    // While base1 answered, the kernel's watch never cut the connection.
    assert.doesNotMatch(healthyLog, /event=base-disconnected/);
    t.diagnostic(`on base2 ${took.join(' ms and ')} ms after base1 was blackholed`);
    for (const ms of took) assert.ok(ms <= 5_000, `still not on base2 ${ms} ms after base1 went silent`);
    // The kernel ended the connection itself (io/tcp-liveness.ts): no INFO had to ask.
    const ended = /event=base-disconnected .*/.exec(alpha.daemon.stderr.slice(healthyLog.length))?.[0];
    t.diagnostic(`how it ended: ${ended ?? 'not logged'}`);
    assert.match(ended ?? '', /nothing acknowledged for 3 s/);
    const reading = (await alpha.call('status', {})).base.servers?.find((r) => r.server === bases[0]!.server);
    assert.equal(reading?.state, 'unreachable', JSON.stringify(reading));
    assert.match(reading?.reason ?? '', /stopped answering|did not/);
    const output = await pinging;
    const gap = longestGap(output, count, intervalS);
    t.diagnostic(`longest run of lost pings: ${gap.toFixed(1)} s`);
    assert.ok(gap <= 6, `pings went unanswered for ${gap.toFixed(1)} s: ${output}`);
    // The last pings, all sent well after the move, were answered through base2.
    assert.ok(pingsReceived(output) >= count - Math.round(gap / intervalS), output);
    assert.match(output, new RegExp(`icmp_seq=${count} `), 'the last ping was answered');
  });

  test('the base in use killed: both nodes back on the first, which answers again, at once', async (t) => {
    await heal(hosts[0]!);
    const at = Date.now();
    bases[1]!.process.signal('SIGKILL');
    const took = await allOn(nodes, bases[0]!.server, at);
    t.diagnostic(`on base1 ${took.join(' ms and ')} ms after base2 was killed`);
    for (const ms of took) assert.ok(ms <= 5_000, `still not on base1 ${ms} ms after base2 died`);
    const output = await ping(nodes[0]!.host, nodes[1]!.hostname, { count: 5 });
    assert.ok(pingsReceived(output) >= 5, output);
  });
});
