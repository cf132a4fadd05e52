// The hnet rows of bench/overlay.ts on a real two-host LAN with a base server: the first ping gets
// through, and its breakdown has every step, in the order a start goes through them; the status
// shows an RTT while pings run, and hnetd restarted alone pings again. The steps come from hnetd's
// log events, so a renamed event shows up here rather than as a silent "-" in the benchmark's
// output. Needs root (network namespaces).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../e2e/lab/index.js';
import { currentBuild } from '../../scripts/program-build.js';
import { buildBenchLab, type BenchLab } from './bench-lab.js';
import { hnet } from './hnet.js';
import { measureRtt, medianShownWhile, timeToFirstPing } from './measure.js';

describe('the hnet rows of the overlay benchmark', () => {
  let lab: Lab;
  let bench: BenchLab;

  before(async () => {
    lab = await Lab.create();
    bench = await buildBenchLab(lab);
  });
  after(() => lab.destroy());

  test('the first ping is broken down into every step of the start, in order; status RTT, a restart and a reboot measured', async () => {
    const overlay = await hnet(await lab.host('base', { on: bench.internet }), currentBuild());
    const pair = bench.sameLan;
    const since = performance.now();
    const running = await overlay.start(pair);
    try {
      const firstReply = await timeToFirstPing(pair.a, running.addressOf(pair.b), since);
      const steps = (await running.startupSteps?.(since)) ?? [];
      const at = new Map(steps.map(({ step, ms }) => [step, ms]));
      const names = [
        'helper ready',
        'hnetd loaded',
        'base connected',
        'TUN up',
        'hnetd ready',
        'whitelisted',
        'peer known',
        'handshake',
      ];
      assert.deepEqual([...at.keys()], names);
      for (const [step, ms] of at)
        assert.ok(
          ms !== null && ms > 0 && ms <= firstReply,
          `${step} at ${ms} ms, first reply at ${firstReply} ms`,
        );
      // hnet0 opens through the helper; the helper and hnetd load at once.
      assert.ok(at.get('helper ready')! <= at.get('TUN up')!, 'the helper listened before hnet0 opened');
      // A start goes through these one after the other; the rest overlap.
      const sequence = ['hnetd loaded', 'TUN up', 'hnetd ready', 'whitelisted'];
      const times = sequence.map((step) => at.get(step) ?? NaN);
      assert.deepEqual(
        times,
        [...times].sort((x, y) => x - y),
        `out of order: ${sequence.map((s, i) => `${s} ${times[i]}`).join(', ')}`,
      );
      const target = running.addressOf(pair.b);
      const shown = await medianShownWhile(measureRtt(pair.a, target, 300), running.shownRttMs!);
      assert.ok(shown !== null && shown > 0, `hnet status showed ${shown} while pings ran`);
      const restartedAt = await running.restartDaemons!();
      assert.ok((await timeToFirstPing(pair.a, target, restartedAt)) > 0);
      // As after a reboot: both programs start again, keys and whitelist kept, nothing to add.
      const bootedAt = await running.restartAll!();
      const booted = await timeToFirstPing(pair.a, target, bootedAt);
      const bootSteps = new Map(
        ((await running.startupSteps?.(bootedAt)) ?? []).map(({ step, ms }) => [step, ms]),
      );
      assert.equal(bootSteps.get('whitelisted'), null, 'nothing to whitelist after a reboot');
      for (const step of ['helper ready', 'hnetd loaded', 'TUN up', 'handshake'])
        assert.ok(
          (bootSteps.get(step) ?? Infinity) <= booted,
          `${step} after the reboot: ${bootSteps.get(step)}`,
        );
    } finally {
      await running.stop();
    }
  });
});
