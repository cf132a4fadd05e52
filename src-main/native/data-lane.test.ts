// The data lane's cipher against the JavaScript reference (src-protocol/security): packets sealed on
// one side open on the other, and the native replay window gives the reference's verdicts. The
// lane's packet path between a TUN device and UDP is exercised in data-lane.lab.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { initCrypto } from '../../src-protocol/crypto.js';
import {
  DATA_OVERHEAD,
  MAX_DATA_PAYLOAD,
  openData,
  sealData,
} from '../../src-protocol/security/data-packet.js';
import { NoncePool } from '../../src-protocol/security/nonce-pool.js';
import { systemRandom } from '../../src-protocol/security/random.js';
import { ReplayWindow, type ReplayVerdict } from '../../src-protocol/security/replay-window.js';
import {
  LANE_OPEN_REFUSED,
  LANE_STATS,
  loadDataPlane,
  type DataLaneHandle,
  type LaneCipherHandle,
} from './dataplane-addon.js';
import { dataLaneUnavailable } from './lane-availability.js';

const OWN = Uint8Array.from([0xfc, 0x94, ...randomBytes(14)]);
const PEER = Uint8Array.from([0xfc, 0x94, ...randomBytes(14)]);

before(initCrypto);

/** Without libsodium there is no lane (the engine stays in JavaScript): nothing here to test. */
const skip = dataLaneUnavailable() ?? false;

const newLane = (): DataLaneHandle => new (loadDataPlane().DataLane)(OWN);
/** A destination as UdpSocketHandle.sockaddr makes it, from a socket closed at once. */
function sockaddr(): Uint8Array {
  const socket = new (loadDataPlane().UdpSocket)(
    0,
    true,
    () => {},
    () => {},
  );
  try {
    return socket.sockaddr('192.0.2.1', 5582)!;
  } finally {
    socket.close();
  }
}
const key = (): Uint8Array => new Uint8Array(randomBytes(32));

/** A cipher pair as two ends of one session hold it: a's tx is b's rx and the other way round. */
function ciphers(counted: boolean): {
  a: LaneCipherHandle;
  b: LaneCipherHandle;
  aToB: Uint8Array;
  bToA: Uint8Array;
} {
  const aToB = key();
  const bToA = key();
  const lane = newLane();
  return { a: lane.cipher(bToA, aToB, counted), b: lane.cipher(aToB, bToA, counted), aToB, bToA };
}

function seal(cipher: LaneCipherHandle, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + DATA_OVERHEAD);
  assert.equal(cipher.seal(payload, out, 0), out.length);
  return out;
}

/** The payload, or the refusal code. */
function open(cipher: LaneCipherHandle, packet: Uint8Array): Uint8Array | number {
  const out = new Uint8Array(MAX_DATA_PAYLOAD);
  const length = cipher.open(packet, out, 0);
  return length < 0 ? length : out.subarray(0, length);
}

describe('lane cipher against the JavaScript data packets', { skip }, () => {
  test('what the lane seals, openData opens, with the packet count as seq when counted', () => {
    for (const counted of [true, false]) {
      const { a, aToB } = ciphers(counted);
      for (const [index, length] of [1, 100, 1350, MAX_DATA_PAYLOAD].entries()) {
        const payload = new Uint8Array(randomBytes(length));
        const packet = seal(a, payload);
        const opened = openData(packet, aToB);
        assert.ok(opened.ok, `counted=${counted}, ${length} bytes`);
        assert.deepEqual(opened.value.payload, payload);
        assert.equal(opened.value.seq, counted ? index + 1 : 0);
      }
      assert.equal(a.sent, 4);
    }
  });

  test('what sealData seals, the lane opens into the caller’s buffer at an offset', () => {
    const { b, aToB } = ciphers(true);
    const nonces = new NoncePool(systemRandom);
    const payload = new Uint8Array(randomBytes(1350));
    const out = new Uint8Array(1400).fill(0xee);
    assert.equal(b.open(sealData(aToB, 1, payload, nonces), out, 7), 1350);
    assert.deepEqual(out.subarray(7, 1357), payload);
    assert.equal(out[6], 0xee);
    assert.equal(out[1357], 0xee);
    assert.equal(b.opened, 1);
  });

  test('sealing a payload that is a view into the output works as the reference does', () => {
    const { a, aToB } = ciphers(true);
    const buffer = new Uint8Array(1 + DATA_OVERHEAD + 300);
    buffer.set(randomBytes(300), 1);
    const payload = buffer.slice(1, 301);
    const length = a.seal(buffer.subarray(1, 301), buffer, 0);
    const opened = openData(buffer.subarray(0, length), aToB);
    assert.ok(opened.ok);
    assert.deepEqual(opened.value.payload, payload);
  });

  test('the lane counts its nonces up under a random prefix it replaces every 65,536 packets', () => {
    const { a, aToB } = ciphers(true);
    const payload = new Uint8Array(64);
    const nonceOf = (packet: Uint8Array): Uint8Array => packet.subarray(1, 25);
    const count = (nonce: Uint8Array): bigint =>
      new DataView(nonce.buffer, nonce.byteOffset + 16, 8).getBigUint64(0, true);
    const first = nonceOf(seal(a, payload));
    const second = nonceOf(seal(a, payload));
    assert.deepEqual(second.subarray(0, 16), first.subarray(0, 16));
    assert.equal(count(second), count(first) + 1n);
    for (let i = 2; i < 65_536; i++) seal(a, payload);
    const last = seal(a, payload);
    assert.notDeepEqual(nonceOf(last).subarray(0, 16), first.subarray(0, 16), 'a new prefix after 65,536');
    assert.equal(count(nonceOf(last)), 0n);
    // The reference opens packets made with the subkey of a prefix the lane kept.
    const opened = openData(last, aToB);
    assert.ok(opened.ok && opened.value.seq === 65_537);
    const { b: other } = ciphers(true);
    assert.notDeepEqual(
      nonceOf(seal(other, payload)).subarray(0, 16),
      first.subarray(0, 16),
      'one prefix per cipher',
    );
  });

  test('packets of the lane and random-nonce packets open in any order, each under its own subkey', () => {
    const { a, b, aToB } = ciphers(false);
    const nonces = new NoncePool(systemRandom);
    for (let i = 0; i < 6; i++) {
      const payload = new Uint8Array(randomBytes(40 + i * 300));
      const packet = i % 3 === 0 ? sealData(aToB, 0, payload, nonces) : seal(a, payload);
      assert.deepEqual(open(b, packet), payload, `packet ${i}`);
      // The same nonce prefix with another MAC: the cached subkey opens nothing forged.
      const forged = packet.slice();
      forged[30]! ^= 1;
      assert.equal(open(b, forged), LANE_OPEN_REFUSED.DecryptFailed);
    }
  });

  test('forged, malformed and replayed packets are refused, and refusals open nothing', () => {
    const { a, b } = ciphers(true);
    const packet = seal(a, new Uint8Array(randomBytes(200)));
    for (const at of [1, 24, 25, 40, 41, packet.length - 1]) {
      const forged = packet.slice();
      forged[at]! ^= 0x01;
      assert.equal(open(b, forged), LANE_OPEN_REFUSED.DecryptFailed, `byte ${at} flipped`);
    }
    const notData = packet.slice();
    notData[0] = 4;
    for (const bad of [
      notData,
      packet.subarray(0, DATA_OVERHEAD),
      new Uint8Array(DATA_OVERHEAD + MAX_DATA_PAYLOAD + 1),
    ])
      assert.equal(open(b, bad), LANE_OPEN_REFUSED.BadLength);
    assert.equal(b.opened, 0);
    assert.ok(open(b, packet) instanceof Uint8Array);
    assert.equal(open(b, packet), LANE_OPEN_REFUSED.Replayed);
    assert.equal(b.opened, 1);
  });

  test('an uncounted cipher (a stock peer) opens seq 0 and does not check replays', () => {
    const { b, aToB } = ciphers(false);
    const packet = sealData(aToB, 0, new Uint8Array([1, 2, 3]), new NoncePool(systemRandom));
    assert.deepEqual(open(b, packet), new Uint8Array([1, 2, 3]));
    assert.deepEqual(open(b, packet), new Uint8Array([1, 2, 3]));
  });

  test('the replay window gives the reference’s verdicts, and only authentic packets move it', () => {
    const verdictOf: Record<ReplayVerdict, number | undefined> = {
      fresh: undefined,
      replayed: LANE_OPEN_REFUSED.Replayed,
      'too-old': LANE_OPEN_REFUSED.TooOld,
      invalid: LANE_OPEN_REFUSED.Invalid,
    };
    const nonces = new NoncePool(systemRandom);
    // Counters near the highest so far and just beyond the window's reach, jumps, repeats of
    // earlier counters, and counters the window must call invalid; some packets forged.
    const step = fc.record({
      seq: fc.oneof(
        fc.record({ delta: fc.integer({ min: -2047, max: 40 }) }),
        fc.record({ delta: fc.integer({ min: -2060, max: -2040 }) }),
        fc.record({ delta: fc.integer({ min: 2000, max: 70_000 }) }),
        fc.record({ repeat: fc.nat() }),
        fc.record({ absolute: fc.constantFrom(0, 2 ** 53 - 1, 2 ** 53, 2 ** 60) }),
      ),
      forged: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 30, maxLength: 120 }), (steps) => {
        const { b, aToB } = ciphers(true);
        const reference = new ReplayWindow();
        let highest = 0;
        const seen: number[] = [];
        for (const s of steps) {
          const seq =
            'absolute' in s.seq
              ? s.seq.absolute
              : 'repeat' in s.seq
                ? (seen[s.seq.repeat % Math.max(1, seen.length)] ?? 1)
                : Math.max(0, highest + s.seq.delta);
          seen.push(seq);
          const packet = sealData(aToB, seq, new Uint8Array([seq & 0xff]), nonces);
          if (s.forged) packet[30]! ^= 0x80;
          const got = open(b, packet);
          if (s.forged) {
            assert.equal(got, LANE_OPEN_REFUSED.DecryptFailed);
            continue;
          }
          const verdict = reference.check(seq);
          if (verdict === 'fresh') {
            reference.commit(seq);
            if (seq <= Number.MAX_SAFE_INTEGER) highest = Math.max(highest, seq);
          }
          const expected = verdictOf[verdict];
          if (expected === undefined) assert.deepEqual(got, new Uint8Array([seq & 0xff]), `seq ${seq}`);
          else assert.equal(got, expected, `seq ${seq}: ${verdict}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('the lane refuses what it cannot use, saying what is wrong', { skip }, () => {
  test('keys must be 32 bytes and counted a boolean', () => {
    const lane = newLane();
    assert.throws(() => lane.cipher(new Uint8Array(31), key(), true), {
      name: 'TypeError',
      message: /32-byte/,
    });
    assert.throws(() => lane.cipher(key(), new Uint8Array(33), true), {
      name: 'TypeError',
      message: /32-byte/,
    });
    assert.throws(() => lane.cipher(key(), key(), 1 as unknown as boolean), { name: 'TypeError' });
  });

  test('a payload of 0 or more than 1950 bytes is not sealed, nor into too small a buffer', () => {
    const { a } = ciphers(true);
    const out = new Uint8Array(4000);
    assert.throws(() => a.seal(new Uint8Array(0), out, 0), { name: 'RangeError', message: /1 to 1950/ });
    assert.throws(() => a.seal(new Uint8Array(MAX_DATA_PAYLOAD + 1), out, 0), { name: 'RangeError' });
    assert.throws(() => a.seal(new Uint8Array(100), new Uint8Array(148), 0), {
      name: 'RangeError',
      message: /room/,
    });
    assert.throws(() => a.seal(new Uint8Array(100), out, 3990), { name: 'RangeError', message: /room/ });
    assert.throws(() => a.seal(new Uint8Array(100), out, 4001), { name: 'RangeError', message: /offset/ });
    assert.equal(a.sent, 0, 'a refused seal used no packet number');
  });

  test('opening into too small a buffer throws rather than truncating', () => {
    const { a, b } = ciphers(true);
    const packet = seal(a, new Uint8Array(100));
    assert.throws(() => b.open(packet, new Uint8Array(99), 0), { name: 'RangeError', message: /room/ });
    assert.equal(b.opened, 0);
  });

  test('addresses, ciphers and sockaddrs of the wrong kind are type errors', () => {
    assert.throws(() => new (loadDataPlane().DataLane)(new Uint8Array(15)), {
      name: 'TypeError',
      message: /16-byte/,
    });
    const lane = newLane();
    const cipher = lane.cipher(key(), key(), true);
    const target = sockaddr();
    assert.throws(() => lane.route(PEER, {} as LaneCipherHandle, null, [], false), { name: 'TypeError' });
    assert.throws(() => lane.route(PEER, lane as unknown as LaneCipherHandle, null, [], false), {
      name: 'TypeError',
    });
    assert.throws(() => lane.route(PEER, cipher, new Uint8Array(5), [], false), {
      name: 'TypeError',
      message: /route: .*sockaddr/,
    });
    assert.throws(() => lane.route(PEER, cipher, null, new Array(9).fill(target), false), {
      name: 'RangeError',
      message: /at most 8/,
    });
    assert.throws(() => lane.route(PEER, cipher, null, [], 1 as unknown as boolean), {
      name: 'TypeError',
      message: /relayed must be a boolean/,
    });
    assert.throws(() => lane.route(PEER, cipher, null, [], undefined as unknown as boolean), {
      name: 'TypeError',
      message: /relayed/,
    });
  });

  test('the base relay takes a sockaddr or null and at most 8 sources, as a route does', () => {
    const lane = newLane();
    const target = sockaddr();
    assert.throws(() => lane.relayThrough(new Uint8Array(5), []), {
      name: 'TypeError',
      message: /relayThrough: .*sockaddr/,
    });
    assert.throws(() => lane.relayThrough(target, [target, new Uint8Array(27)]), {
      name: 'TypeError',
      message: /relayThrough: .*sockaddr/,
    });
    assert.throws(() => lane.relayThrough(target, target as unknown as Uint8Array[]), {
      name: 'TypeError',
      message: /relayThrough: sources must be an array/,
    });
    assert.throws(() => lane.relayThrough(target, new Array(9).fill(target)), {
      name: 'RangeError',
      message: /relayThrough: at most 8/,
    });
    lane.relayThrough(target, new Array(8).fill(target));
    lane.relayThrough(null, []);
    lane.relayThrough(null, [target]);
  });
});

describe('routes and counts', { skip }, () => {
  test('a routed peer has counters, one per source, until it is forgotten', () => {
    const native = loadDataPlane();
    const socket = new native.UdpSocket(
      0,
      true,
      () => {},
      () => {},
    );
    try {
      const lane = newLane();
      const out = new Float64Array(6).fill(-1);
      assert.equal(lane.counters(PEER, out), false);
      assert.deepEqual([...out], [-1, -1, -1, -1, -1, -1]);
      const sources = [socket.sockaddr('192.0.2.1', 5582)!, socket.sockaddr('fe80::1%1', 5582)!];
      lane.route(PEER, lane.cipher(key(), key(), true), sources[0]!, sources, false);
      assert.equal(lane.counters(PEER, out), true);
      assert.deepEqual([...out], [0, 0, 0, 0, 0, 0]);
      assert.throws(() => lane.counters(PEER, new Float64Array(5)), { name: 'RangeError' });
      assert.equal(lane.echoRoundTrips(PEER, new Float64Array(16)), 0, 'no ping carried yet');
      assert.throws(
        () => lane.echoRoundTrips(PEER, new Uint8Array(16) as unknown as Float64Array),
        /echoRoundTrips: out must be a Float64Array/,
      );
      // A relayed route without sources has just the peer's four counters.
      lane.route(PEER, lane.cipher(key(), key(), true), null, [], true);
      assert.equal(lane.counters(PEER, new Float64Array(4)), true);
      lane.route(PEER, null, null, [], false);
      assert.equal(lane.counters(PEER, out), false);
      assert.deepEqual(
        [...lane.stats],
        LANE_STATS.map(() => 0),
      );
      socket.useLane(lane);
      socket.useLane(null);
      assert.throws(() => socket.useLane({} as DataLaneHandle), { name: 'TypeError' });
    } finally {
      socket.close();
    }
  });
});
