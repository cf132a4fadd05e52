// The path state machine on its own: events and made-up times in, states, probes and reasons out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import {
  ACTIVE_PROBE_MS,
  BETTER_PATH_MS,
  DIRECT_SILENCE_MS,
  IDLE_AFTER_MS,
  PathSelector,
  PROBE_ROUND_MS,
  PROBE_ROUNDS,
  type Candidate,
} from './paths.js';
import type { PathState } from '../../contract/status.js';

const TICK = 200;
const lanB: Endpoint = { ip: '192.168.1.20', port: 5582 };
const publicB: Endpoint = { ip: '203.0.113.7', port: 40000 };
const otherPublic: Endpoint = { ip: '198.51.100.9', port: 5582 };

interface Run {
  selector: PathSelector<string>;
  transitions: { at: number; state: PathState; reason: string }[];
  now: number;
  /** Advances time tick by tick; `onProbe` answers probes (return an RTT) or lets them vanish. */
  advance(ms: number, onProbe?: (c: Candidate<string>) => number | undefined): Candidate<string>[];
}

function start(relay: 'udp' | 'tcp' | null = 'udp'): Run {
  const transitions: Run['transitions'] = [];
  const run: Run = {
    selector: new PathSelector<string>((state, reason) => transitions.push({ at: run.now, state, reason })),
    transitions,
    now: 1_000,
    advance(ms, onProbe) {
      const probed: Candidate<string>[] = [];
      for (const end = run.now + ms; run.now < end;) {
        run.now += TICK;
        // Traffic flows the whole time (a ping every tick), as in the scenarios users notice.
        run.selector.traffic(run.now);
        for (const candidate of run.selector.tick(run.now)) {
          probed.push(candidate);
          const rtt = onProbe?.(candidate);
          if (rtt !== undefined) run.selector.answered(candidate, rtt, run.now);
        }
      }
      return probed;
    },
  };
  run.selector.setRelay(relay, run.now);
  return run;
}

const add = (run: Run, endpoint: Endpoint, source: 'base' | 'lan' | 'observed' = 'base') =>
  run.selector.add(endpoint, `${endpoint.ip}:${endpoint.port}`, source, run.now);

describe('path selection', () => {
  test('traffic to a new peer goes via the base at once while the base is asked for addresses', () => {
    const run = start();
    run.selector.traffic(run.now);
    assert.equal(run.selector.state, 'resolving');
    assert.equal(run.selector.route(), undefined, 'undefined means through the base');
    assert.match(
      run.selector.reason,
      /asking the base for the peer's addresses; data via the base meanwhile/,
    );
  });

  test('candidates are probed, and the first answer makes the path direct, with the reason saying why', () => {
    const run = start();
    run.selector.traffic(run.now);
    run.selector.baseAddresses([{ endpoint: publicB, target: 'pub' }], run.now);
    assert.equal(run.selector.state, 'probing');
    assert.equal(run.selector.route(), undefined, 'the relay carries traffic until the direct path answers');
    const probed = run.advance(TICK, () => 12.3);
    assert.deepEqual(
      probed.map((c) => c.target),
      ['pub'],
    );
    assert.equal(run.selector.state, 'direct');
    assert.equal(run.selector.route()?.target, 'pub');
    assert.equal(run.selector.reason, 'direct via 203.0.113.7:40000 (public)');
  });

  test('while our router maps a port for us, a public direct path says so; a LAN path does not', () => {
    const run = start();
    run.selector.traffic(run.now);
    add(run, publicB);
    run.advance(TICK, () => 12);
    run.selector.setPortMapping('port mapped by PCP on 192.168.1.1', run.now);
    assert.equal(run.selector.reason, 'direct via 203.0.113.7:40000 (port mapped by PCP on 192.168.1.1)');
    assert.equal(run.transitions.at(-1)?.reason, run.selector.reason, 'a transition, so a log line too');
    run.selector.setPortMapping(undefined, run.now);
    assert.equal(run.selector.reason, 'direct via 203.0.113.7:40000 (public)');
    run.selector.setPortMapping('port mapped by NAT-PMP on 192.168.1.1', run.now);
    run.selector.answered(add(run, lanB, 'lan'), 1, run.now);
    assert.equal(run.selector.reason, 'direct via 192.168.1.20:5582 (LAN)');
  });

  test('the reason holds no figure that goes stale: round trips that change make no new reason', () => {
    const run = start();
    run.selector.traffic(run.now);
    const pub = add(run, publicB);
    run.advance(TICK, () => 0.3);
    const reason = run.selector.reason;
    const transitions = run.transitions.length;
    for (const rtt of [556, 0.3, 120, 2]) run.selector.answered(pub, rtt, run.now);
    assert.equal(run.selector.reason, reason);
    assert.equal(run.transitions.length, transitions, 'no transition, so no log line either');
    assert.doesNotMatch(reason, /rtt|ms\b/);
  });

  test('no answer from any candidate: back to tunnelled, blaming the NATs', () => {
    const run = start();
    run.selector.traffic(run.now);
    add(run, publicB);
    add(run, otherPublic, 'observed');
    const probed = run.advance(PROBE_ROUNDS * PROBE_ROUND_MS + 1_000);
    assert.ok(
      probed.length >= PROBE_ROUNDS * 2,
      `every candidate is probed each round (${probed.length} probes)`,
    );
    assert.equal(run.selector.state, 'tunnelled');
    assert.equal(
      run.selector.reason,
      'no answer from any of 2 candidates — a symmetric NAT on either side, or a strict firewall, blocks a direct path; data via the base',
    );
  });

  test('a direct path that stops answering hands traffic back to the base within 3 s, and probing continues', () => {
    const run = start();
    run.selector.traffic(run.now);
    add(run, publicB);
    run.advance(2_000, () => 5);
    assert.equal(run.selector.state, 'direct');
    const cutAt = run.now;
    const probedDuringOutage = run.advance(6_000);
    const failover = run.transitions.find((t) => t.at > cutAt && t.state === 'degraded');
    assert.ok(failover, 'the path degrades');
    assert.ok(failover.at - cutAt <= 3_000, `failover took ${failover.at - cutAt} ms`);
    assert.equal(failover.reason, 'direct path 203.0.113.7:40000 silent for 2 s: back to the base');
    assert.equal(run.selector.route(), undefined);
    assert.ok(probedDuringOutage.length >= 4, 'the lost path is still probed about every second');
    run.advance(ACTIVE_PROBE_MS + TICK, () => 5);
    assert.equal(run.selector.state, 'direct', 'an answer brings the direct path back');
  });

  test('the active path is probed about every second while traffic flows', () => {
    const run = start();
    run.selector.traffic(run.now);
    add(run, publicB);
    run.advance(TICK, () => 5);
    const probes = run.advance(10_000, () => 5);
    assert.ok(probes.length >= 9 && probes.length <= 11, `${probes.length} probes in 10 s`);
  });

  test('a LAN path beats a public one, and a faster public path needs a clear margin to take over', () => {
    const run = start();
    run.selector.traffic(run.now);
    const pub = add(run, publicB);
    run.advance(TICK, () => 30);
    assert.equal(run.selector.direct, pub);
    const faster = add(run, otherPublic);
    run.selector.answered(faster, 28, run.now);
    assert.equal(run.selector.direct, pub, 'two milliseconds better is within the hysteresis');
    run.selector.answered(faster, 5, run.now);
    assert.ok(faster.rttMs! < 24, 'the smoothed RTT is now clearly lower');
    assert.equal(run.selector.direct, faster);
    const lan = add(run, lanB, 'lan');
    run.selector.answered(lan, 40, run.now);
    assert.equal(run.selector.direct, lan, 'LAN wins even when slower');
    assert.match(run.selector.reason, /^direct via 192\.168\.1\.20:5582 \(LAN\)$/);
  });

  test('with a direct path, the other candidates are retried about every 60 s', () => {
    const run = start();
    run.selector.traffic(run.now);
    const pub = add(run, publicB);
    add(run, otherPublic);
    run.advance(TICK, (c) => (c === pub ? 5 : undefined));
    const probes = run.advance(BETTER_PATH_MS + 1_000, (c) => (c === pub ? 5 : undefined));
    const others = probes.filter((c) => c !== pub);
    assert.equal(others.length, 1);
  });

  test('after 45 s without traffic the peer is idle and probing stops', () => {
    const run = start();
    run.selector.traffic(run.now);
    add(run, publicB);
    run.advance(TICK, () => 5);
    run.now += IDLE_AFTER_MS;
    assert.deepEqual(run.selector.tick(run.now), []);
    assert.equal(run.selector.state, 'idle');
    assert.equal(run.selector.reason, 'no traffic for 45 s');
    assert.equal(run.selector.direct, undefined);
    run.selector.traffic(run.now);
    assert.equal(run.selector.state, 'probing', 'waking up is not a failure');
    const [probe] = run.selector.tick(run.now);
    assert.ok(probe, 'traffic again: the path is checked at once');
    run.selector.answered(probe, 5, run.now);
    assert.equal(run.selector.state, 'direct');
  });

  test('without a base, traffic goes to a LAN candidate before it answered, rather than nowhere', () => {
    const run = start(null);
    run.selector.traffic(run.now);
    assert.equal(run.selector.state, 'resolving');
    assert.equal(run.selector.reason, 'no base server and no LAN beacon from this peer yet');
    add(run, lanB, 'lan');
    assert.equal(run.selector.route()?.target, '192.168.1.20:5582');
    assert.equal(run.selector.reason, 'trying 1 candidate; no base server to relay through meanwhile');
  });

  test('UDP to the base blocked shows in the reason', () => {
    const run = start('tcp');
    run.selector.traffic(run.now);
    run.selector.baseAddresses([], run.now);
    assert.equal(run.selector.state, 'tunnelled');
    assert.match(run.selector.reason, /data via the base over TCP \(UDP to the base is blocked\)/);
  });

  test('silence shorter than the limit keeps the path direct', () => {
    const run = start();
    run.selector.traffic(run.now);
    add(run, publicB);
    run.advance(TICK, () => 5);
    run.advance(DIRECT_SILENCE_MS - TICK);
    assert.equal(run.selector.state, 'direct');
  });
});
