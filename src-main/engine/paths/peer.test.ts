// Two peers wired back to back in memory: the security session, the relay, HELLO probes and the
// switch to a direct path, as one node sees another, without sockets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../../src-protocol/identity.js';
import { HNET_FLAGS, STOCK_FLAGS } from '../../../src-protocol/security/flags.js';
import { HelloSeq } from '../../../src-protocol/security/hello-seq.js';
import { SecuritySession } from '../../../src-protocol/security/session.js';
import { DropCounter } from '../drops.js';
import { Peer, type LaneLink, type PeerCandidate, type PeerInbound, type PeerOutbound } from './peer.js';
import type { UdpTarget } from '../io/udp-socket.js';

await initCrypto();

interface Side {
  identity: Identity;
  peer: Peer;
  delivered: string[];
  relayed: number;
  direct: number;
  hellos: { candidate: PeerCandidate; cookie: Uint8Array }[];
}

/** The pair's network: packets cross at `now`, are lost while not `up`, wait in `held` if it is set. */
interface Net {
  now: number;
  up: boolean;
  held?: (() => void)[];
  /** a has no base to relay through: its relayed packets go nowhere. */
  aWithoutBase?: boolean;
}

/** `a` talks to `b` and back; packets cross instantly, through the "base" or "directly". */
function pair(flagsA: bigint, flagsB: bigint, laneA?: LaneLink): { a: Side; b: Side; clock: Net } {
  const clock: Net = { now: 0, up: true };
  const ids = [generateIdentity(), generateIdentity()] as const;
  const sides: Side[] = [];
  for (const [index, identity] of ids.entries()) {
    const other = ids[1 - index]!;
    const side: Side = {
      identity,
      peer: undefined as unknown as Peer,
      delivered: [],
      relayed: 0,
      direct: 0,
      hellos: [],
    };
    const cross = (packet: Uint8Array) => {
      const arrive = () => sides[1 - index]!.peer.receive(packet.slice(), clock.now, undefined);
      if (clock.held) clock.held.push(arrive);
      else if (clock.up) arrive();
    };
    const links: PeerOutbound & PeerInbound = {
      sendRelay: (_target, packet) => {
        if (index === 0 && clock.aWithoutBase) return false;
        side.relayed++;
        cross(packet);
        return true;
      },
      directBuffer: (length) => ({ buffer: new Uint8Array(1 + length), offset: 1 }),
      sendDirect: (packet, _target: UdpTarget) => {
        side.direct++;
        cross(packet);
      },
      sendHello: (_peer, candidate, cookie) => side.hellos.push({ candidate, cookie: cookie.slice() }),
      deliver: (_peer, payload) => {
        side.delivered.push(new TextDecoder().decode(payload));
        return payload.length;
      },
    };
    side.peer = new Peer({
      address: other.address,
      session: new SecuritySession({
        own: identity,
        ownFlags: index === 0 ? flagsA : flagsB,
        peerAddress: other.address,
        helloSeq: new HelloSeq(),
        now: 0,
      }),
      outbound: links,
      inbound: links,
      drops: new DropCounter(),
      clock: () => clock.now,
      ...(index === 0 && laneA && { lane: laneA }),
      onTransition: () => undefined,
      onHandshake: () => undefined,
    });
    side.peer.path.setRelay('udp', 0);
    sides.push(side);
  }
  return { a: sides[0]!, b: sides[1]!, clock };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('a peer', () => {
  for (const [name, flags] of [
    ['another hnet node', HNET_FLAGS],
    ['a stock Husarnet peer (flags 3)', STOCK_FLAGS],
  ] as const) {
    test(`talks to ${name} through the base at once, without losing the first packet`, () => {
      const { a, b } = pair(HNET_FLAGS, flags);
      a.peer.send(text('first'), 45, 0);
      assert.deepEqual(b.delivered, ['first']);
      b.peer.send(text('answer'), 46, 0);
      assert.deepEqual(a.delivered, ['answer']);
      assert.ok(a.relayed > 0 && a.direct === 0, 'nothing went direct before a direct path answered');
      const report = a.peer.report(0, Date.parse('2026-01-01T00:00:00Z'));
      assert.equal(report.bytesSent, 45);
      assert.equal(report.bytesReceived, 'answer'.length);
      assert.equal(report.lastHandshake, '2026-01-01T00:00:00.000Z');
      assert.equal(report.path, 'resolving');
    });
  }

  test('sends the first packet, queued while no way to the peer was known, as soon as one appears', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    // No base on a's side (a LAN without one, or before it answered) and no endpoint of b yet.
    clock.aWithoutBase = true;
    a.peer.path.setRelay(null, 0);
    a.peer.send(text('first'), 45, 0);
    assert.deepEqual(b.delivered, [], 'nowhere to send it yet');
    // b's LAN beacon arrives 10 ms later: the handshake goes out then, not a retry interval later.
    const endpoint = { ip: '192.168.1.20', port: 5582 };
    a.peer.path.add(endpoint, { address: endpoint.ip, port: endpoint.port }, 'lan', 10);
    assert.deepEqual(b.delivered, ['first']);
  });

  test('moves traffic to a direct endpoint once its HELLO probe is answered', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    a.peer.send(text('hello'), 45, 0);
    clock.now = 200;
    const endpoint = { ip: '203.0.113.7', port: 5582 };
    a.peer.path.add(endpoint, { address: endpoint.ip, port: endpoint.port }, 'base', 0);
    a.peer.tick(200);
    const [probe] = a.hellos;
    assert.ok(probe, 'the new candidate was probed');
    a.peer.answered(probe.cookie, probe.candidate, 201.5);
    assert.equal(a.peer.path.state, 'direct');
    const relayedBefore = a.relayed;
    a.peer.send(text('direct'), 46, 202);
    assert.equal(a.relayed, relayedBefore);
    assert.equal(a.direct, 1);
    assert.deepEqual(b.delivered, ['hello', 'direct']);
    assert.equal(a.peer.report(202, 0).endpoint, '203.0.113.7:5582');
    a.peer.tick(1_200);
    clock.now = 1_300;
    a.peer.heartbeat(1_250);
    assert.equal(a.peer.report(1_300, 0).rttMs, 50, 'the heartbeat along the path measures its round trip');
  });

  test('ignores a HELLO_REPLY with a cookie it never sent', () => {
    const { a } = pair(HNET_FLAGS, HNET_FLAGS);
    const endpoint = { ip: '203.0.113.7', port: 5582 };
    const candidate = a.peer.path.add(endpoint, { address: endpoint.ip, port: endpoint.port }, 'base', 0);
    a.peer.answered(text('abcdefghijklmnop'), candidate, 10);
    assert.notEqual(a.peer.path.state, 'direct');
  });

  test('hands an established direct session to the data lane, and takes back what the lane carried', () => {
    const routes: { cipher: boolean; target: string | undefined; sources: number }[] = [];
    const carried = new Float64Array(12);
    let pinged: number[] = [];
    const lane: LaneLink = {
      route: (_peer, cipher, target, sources) =>
        routes.push({ cipher: cipher !== undefined, target: target?.address, sources: sources.length }),
      counters: (_peer, out) => {
        out.set(carried);
        return true;
      },
      echoRoundTrips: (_peer, out) => {
        out.set(pinged);
        const count = pinged.length;
        pinged = [];
        return count;
      },
    };
    const { a } = pair(HNET_FLAGS, HNET_FLAGS, lane);
    a.peer.send(text('hello'), 45, 0);
    assert.deepEqual(
      routes.at(-1),
      { cipher: true, target: undefined, sources: 0 },
      'keys, but via the base',
    );
    const endpoint = { ip: '203.0.113.7', port: 5582 };
    a.peer.path.add(endpoint, { address: endpoint.ip, port: endpoint.port }, 'base', 0);
    a.peer.tick(200);
    const [probe] = a.hellos;
    a.peer.sources.push(probe!.candidate);
    a.peer.answered(probe!.cookie, probe!.candidate, 201.5);
    assert.deepEqual(routes.at(-1), { cipher: true, target: '203.0.113.7', sources: 1 }, 'direct at once');
    // From here on the lane carries everything: 10 packets out, 8 in, all from the one source.
    carried.set([10, 1_000, 8, 800, 8]);
    for (let now = 400; now <= 3_000; now += 200) {
      carried[4] = carried[4]! + 1;
      if (now === 1_000) pinged = [0.6, 0.4, 0.5];
      a.peer.tick(now);
    }
    assert.equal(a.peer.path.state, 'direct', 'what the lane heard keeps the direct path alive past 2 s');
    const report = a.peer.report(3_000, 0);
    assert.equal(report.bytesSent, 45 + 1_000);
    assert.equal(report.bytesReceived, 800);
    assert.equal(report.reach, 'online');
    assert.equal(report.lastHeard, new Date(0).toISOString(), 'what the lane opened counts as heard');
    assert.equal(report.rttMs, 0.5, 'what the pings the lane carried took');
    const routed = routes.length;
    for (let now = 3_200; now <= 5_400; now += 200) a.peer.tick(now);
    assert.notEqual(a.peer.path.state, 'direct', 'silence on the lane is silence');
    assert.equal(routes.length, routed + 1);
    assert.deepEqual(routes.at(-1), { cipher: true, target: undefined, sources: 1 }, 'back to the base');
  });

  test('kept off the lane, a peer gets no route through handshakes and a direct path, until let back on', () => {
    const routes: boolean[] = [];
    const lane: LaneLink = {
      route: (_peer, cipher) => routes.push(cipher !== undefined),
      counters: () => false,
      echoRoundTrips: () => 0,
    };
    const { a } = pair(HNET_FLAGS, HNET_FLAGS, lane);
    a.peer.keepOffLane(true);
    a.peer.send(text('hello'), 45, 0);
    const endpoint = { ip: '203.0.113.7', port: 5582 };
    a.peer.path.add(endpoint, { address: endpoint.ip, port: endpoint.port }, 'base', 0);
    a.peer.tick(200);
    const [probe] = a.hellos;
    a.peer.sources.push(probe!.candidate);
    a.peer.answered(probe!.cookie, probe!.candidate, 201.5);
    for (let now = 400; now <= 1_000; now += 200) a.peer.tick(now);
    assert.equal(a.peer.path.state, 'direct');
    assert.deepEqual(routes, [false], 'only told to forget the peer');
    a.peer.keepOffLane(false);
    a.peer.tick(1_200);
    assert.deepEqual(routes, [false, true]);
    a.peer.keepOffLane(true);
    assert.deepEqual(routes, [false, true, false], 'taken off at once, not at the next tick');
  });
});

/** Ticks `side` every 200 ms until `until`, as the data plane does: the tick, then heartbeats. */
function run(side: Side, clock: { now: number }, until: number, each?: (now: number) => void): void {
  while (clock.now < until) {
    clock.now += 200;
    each?.(clock.now);
    side.peer.tick(clock.now);
    side.peer.heartbeat(clock.now);
  }
}

describe('whether a peer answers', () => {
  test('a peer that stops answering is unreachable within 5 s of the first unanswered packet', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    b.peer.send(text('hi'), 40, 0);
    // A ping every 200 ms, and its echo while the peer is there.
    const pinging = (now: number) => {
      a.peer.send(text('echo request'), 60, now);
      if (clock.up) b.peer.send(text('echo reply'), 60, now);
    };
    run(a, clock, 4_000, pinging);
    assert.equal(a.peer.report(clock.now, 0).reach, 'online');
    clock.up = false;
    const stoppedAt = clock.now;
    let unreachableAt: number | undefined;
    run(a, clock, stoppedAt + 8_000, (now) => {
      pinging(now);
      if (unreachableAt === undefined && a.peer.report(now, 0).reach === 'unreachable') unreachableAt = now;
    });
    assert.ok(unreachableAt !== undefined, 'it became unreachable');
    assert.ok(unreachableAt - stoppedAt <= 5_000, `after ${unreachableAt - stoppedAt} ms`);
    const report = a.peer.report(clock.now, 10_000_000);
    assert.match(report.reason, /^not answering: nothing came back by any path; /);
    assert.equal(report.rttMs, null, 'no recent round trip to show');
    assert.equal(
      Date.parse(report.lastHeard!),
      10_000_000 - (clock.now - stoppedAt),
      'last heard when it stopped, not when the session began',
    );
    clock.up = true;
    run(a, clock, clock.now + 1_000, pinging);
    assert.equal(a.peer.report(clock.now, 0).reach, 'online', 'answering again');
  });

  test('traffic one way only, through the base, is not mistaken for silence: heartbeats answer', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    a.peer.send(text('stream'), 1_000, 0);
    const reaches = new Set<string>();
    run(a, clock, 30_000, (now) => {
      a.peer.send(text('stream'), 1_000, now);
      b.peer.tick(now);
      reaches.add(a.peer.report(now, 0).reach);
    });
    assert.deepEqual([...reaches], ['online']);
  });

  test('idle once traffic stops, with the session kept; offline with no session at all', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    a.peer.send(text('one'), 45, 0);
    b.peer.send(text('two'), 45, 0);
    run(a, clock, 60_000);
    const report = a.peer.report(clock.now, 0);
    assert.equal(report.path, 'idle');
    assert.equal(report.reach, 'idle');
    const { a: stranger } = pair(HNET_FLAGS, HNET_FLAGS);
    assert.equal(stranger.peer.report(0, 0).reach, 'offline');
    assert.equal(stranger.peer.report(0, 0).lastHeard, null);
  });

  test('the RTT shown is the median of recent round trips on the path in use, never another path’s', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    a.peer.send(text('hello'), 45, 0);
    b.peer.send(text('back'), 45, 0);
    // Replies arrive `rtt` after each heartbeat left: one slow outlier among five.
    let last = 0;
    for (const rtt of [0.3, 0.4, 5, 0.35, 0.3]) {
      last += 1_000;
      clock.now = last + rtt;
      a.peer.send(text('data'), 45, last);
      a.peer.heartbeat(last);
    }
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0.35, 'the median, not the outlier or the last');
    // One more through the base, still on its way when a direct path answers.
    last += 1_000;
    clock.held = [];
    a.peer.heartbeat(last);
    const onItsWay = clock.held;
    delete clock.held;
    const endpoint = { ip: '203.0.113.7', port: 5582 };
    a.peer.path.add(endpoint, { address: endpoint.ip, port: endpoint.port }, 'base', last);
    a.peer.tick(last);
    const [probe] = a.hellos;
    const directAt = last + 1;
    a.peer.answered(probe!.cookie, probe!.candidate, directAt);
    assert.equal(a.peer.path.state, 'direct');
    clock.now = last + 3;
    for (const arrive of onItsWay) arrive();
    assert.equal(a.peer.report(clock.now, 0).rttMs, null, 'the base’s round trips say nothing of this path');
    a.peer.tick(directAt + 800);
    clock.now = last + 1_001.2;
    a.peer.heartbeat(last + 1_001);
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0.2);
    assert.equal(a.peer.report(clock.now + 11_000, 0).rttMs, null, 'none recent: none shown');
  });

  test('while someone pings, the RTT shown is what the pings took through the peer’s own stack', () => {
    const { a, b, clock } = pair(HNET_FLAGS, HNET_FLAGS);
    a.peer.send(text('hello'), 45, 0);
    b.peer.send(text('back'), 45, 0);
    // Heartbeats come back at once (the far engine answers them), pings 0.5 ms later: b's kernel
    // answers them behind its TUN device.
    const ping = (seq: number, stackMs: number) => {
      a.peer.send(echo('request', seq), 48, clock.now);
      clock.now += stackMs;
      b.peer.send(echo('reply', seq), 48, clock.now);
    };
    run(a, clock, 5_000);
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0, 'heartbeats alone');
    ping(1, 0.5);
    ping(2, 0.5);
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0, 'two pings are not yet the figure');
    run(a, clock, clock.now + 2_000, () => ping(clock.now, 0.5));
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0.5, 'the pings’ round trip, not the heartbeats’');
    a.peer.send(echo('request', 99), 48, clock.now);
    b.peer.send(echo('reply', 98), 48, clock.now + 7);
    b.peer.send(echo('request', 97), 48, clock.now + 7);
    assert.equal(
      a.peer.report(clock.now, 0).rttMs,
      0.5,
      'a reply to no request of ours, or a request, is no round trip',
    );
    run(a, clock, clock.now + 2_800);
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0.5, 'pings 2.8 s apart still count as pinging');
    run(a, clock, clock.now + 400);
    assert.equal(a.peer.report(clock.now, 0).rttMs, 0, 'heartbeats again once nobody pinged for 3 s');
  });
});

/** A tunnel packet (nextHeader ‖ payload) carrying an ICMPv6 echo with identifier 7 and `seq`. */
function echo(kind: 'request' | 'reply', seq: number): Uint8Array {
  const packet = new Uint8Array(1 + 8);
  packet[0] = 58;
  packet[1] = kind === 'request' ? 128 : 129;
  new DataView(packet.buffer).setUint16(5, 7);
  new DataView(packet.buffer).setUint16(7, seq);
  return packet;
}
