// The measurers against a bare lab LAN whose behaviour is known: a cut of a set length, an
// address that appears after a set delay. Needs root (network namespaces).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab, type Host, type Segment } from '../../e2e/lab/index.js';
import { measureFailoverGap, measureRtt, measureThroughput, timeToFirstPing } from './measure.js';

describe('measurements on a bare LAN', () => {
  let lab: Lab;
  let lan: Segment;
  let a: Host;
  let b: Host;

  before(async () => {
    lab = await Lab.create();
    lan = await lab.segment('lan');
    a = await lab.host('a', { on: lan });
    b = await lab.host('b', { on: lan });
  });
  after(() => lab.destroy());

  test('a path cut for one second shows as a gap of about one second', async () => {
    const cutForOneSecond = async () => {
      const cut = await lan.cut(a.ip, b.ip);
      const healed = sleep(1000).then(() => cut.heal());
      return { heal: () => healed };
    };
    const gap = await measureFailoverGap(a, b.ip, cutForOneSecond, { beforeMs: 1000, afterMs: 2000 });
    assert.ok(gap.gapMs >= 800 && gap.gapMs <= 1600, `gap ${gap.gapMs} ms`);
  });

  test('a path that stays cut is reported as not recovered, and is whole again afterwards', async () => {
    await assert.rejects(
      measureFailoverGap(a, b.ip, () => lan.cut(a.ip, b.ip), { beforeMs: 500, afterMs: 1500 }),
      /had not come back 1.5 s after the cut/,
    );
    await a.exec(['ping', '-c', '1', '-W', '1', b.ip]);
  });

  test('time to first ping counts until the address answers', async () => {
    const since = performance.now();
    const appears = sleep(500).then(() => b.exec(['ip', 'address', 'add', '198.18.0.200/24', 'dev', 'eth0']));
    const ms = await timeToFirstPing(a, '198.18.0.200', since, 5000);
    await appears;
    assert.ok(ms >= 500 && ms <= 1500, `first ping after ${ms} ms`);
  });

  test('throughput and RTT of a veth LAN are what a bare path gives', async () => {
    const throughput = await measureThroughput(a, b, b.ip, 1);
    assert.ok(throughput.mbitPerSecond > 100, `${throughput.mbitPerSecond} Mbit/s`);
    const rtt = await measureRtt(a, b.ip, 100);
    assert.equal(rtt.lostPercent, 0);
    assert.ok(
      rtt.p50Ms > 0 && rtt.p50Ms <= rtt.p99Ms && rtt.p99Ms < 20,
      `p50 ${rtt.p50Ms}, p99 ${rtt.p99Ms}`,
    );
  });

  test("an iperf3 run that cannot connect fails with iperf3's reason", async () => {
    await assert.rejects(
      measureThroughput(a, b, '198.18.0.250', 1),
      /iperf3 from a to 198\.18\.0\.250: iperf3: /,
    );
  });
});
