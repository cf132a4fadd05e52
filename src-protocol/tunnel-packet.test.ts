import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseIpv6 } from './address.js';
import {
  compress,
  compressedLength,
  compressInto,
  rebuild,
  rebuildInto,
  REBUILT_HOP_LIMIT,
} from './tunnel-packet.js';

const own = parseIpv6('fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239')!;
const peer = parseIpv6('fc94:6951:fdaf:9df1:e578:ddfc:9a70:3154')!;
const group = parseIpv6('ff15:f2d3:a389::1')!;
const ICMPV6 = 58;

function ipv6(
  source: Uint8Array,
  target: Uint8Array,
  payload: Uint8Array,
  nextHeader = ICMPV6,
  hopLimit = 64,
): Uint8Array {
  const packet = new Uint8Array(40 + payload.length);
  packet[0] = 0x60;
  packet[1] = 0x0a; // traffic class and flow label do not survive the tunnel
  packet[4] = payload.length >> 8;
  packet[5] = payload.length & 0xff;
  packet[6] = nextHeader;
  packet[7] = hopLimit;
  packet.set(source, 8);
  packet.set(target, 24);
  packet.set(payload, 40);
  return packet;
}

const echoRequest = Uint8Array.from([128, 0, 0x12, 0x34, 0, 1, 0, 1, 0xde, 0xad]);

describe('tunnel packets', () => {
  test('a unicast ping is sent as next header and payload, and rebuilt with the peer as source', () => {
    const sent = compress(ipv6(own, peer, echoRequest), own);
    assert.ok(sent.ok);
    assert.deepEqual(sent.value.destination, { kind: 'unicast', peer });
    assert.deepEqual(sent.value.bytes, Uint8Array.from([ICMPV6, ...echoRequest]));
    // On the peer's side: source is us (authenticated), destination is the peer itself.
    const rebuilt = rebuild(sent.value.bytes, own, peer);
    assert.ok(rebuilt.ok);
    assert.deepEqual(rebuilt.value, ipv6(own, peer, echoRequest, ICMPV6, REBUILT_HOP_LIMIT).fill(0, 1, 2));
  });

  test('multicast keeps its group and takes the peer as source', () => {
    const linkLocal = parseIpv6('fe80::1')!;
    const sent = compress(ipv6(linkLocal, group, echoRequest, 17), own);
    assert.ok(sent.ok);
    assert.deepEqual(sent.value.destination, { kind: 'multicast', group });
    assert.deepEqual(sent.value.bytes, Uint8Array.from([0xff, 0x01, 17, ...group, ...echoRequest]));
    const rebuilt = rebuild(sent.value.bytes, peer, own);
    assert.ok(rebuilt.ok);
    assert.deepEqual(rebuilt.value, ipv6(peer, group, echoRequest, 17, REBUILT_HOP_LIMIT).fill(0, 1, 2));
  });

  test('refuses packets that cannot or must not go through the tunnel', () => {
    const cases: [Uint8Array, string][] = [
      [ipv6(own, peer, new Uint8Array(0)), 'Truncated'],
      [ipv6(own, parseIpv6('2001:db8::1')!, echoRequest), 'NotForUs'],
      [ipv6(peer, own, echoRequest), 'AddressMismatch'],
      [Uint8Array.from([0x45, ...new Uint8Array(59)]), 'BadFormat'],
      [ipv6(own, peer, echoRequest).subarray(0, 45), 'BadLength'],
    ];
    for (const [packet, kind] of cases) {
      const result = compress(packet, own);
      assert.ok(!result.ok && result.error.kind === kind, kind);
    }
    const badGroup = rebuild(Uint8Array.from([0xff, 0x01, 17, ...own, 1, 2]), peer, own);
    assert.ok(
      !badGroup.ok && badGroup.error.kind === 'BadFormat',
      'a multicast that names a unicast address',
    );
    const empty = rebuild(Uint8Array.from([ICMPV6]), peer, own);
    assert.ok(!empty.ok && empty.error.kind === 'Truncated');
    const tooSmall = compressInto(ipv6(own, peer, echoRequest), own, new Uint8Array(4), 0);
    assert.ok(!tooSmall.ok && tooSmall.error.kind === 'TooLong');
  });

  test('writes into caller buffers at an offset', () => {
    const packet = ipv6(own, peer, echoRequest);
    const out = new Uint8Array(5 + compressedLength(packet.length)).fill(0xee);
    const sent = compressInto(packet, own, out, 5);
    assert.ok(sent.ok);
    assert.deepEqual(out.subarray(0, 5), new Uint8Array(5).fill(0xee));
    const back = new Uint8Array(100).fill(0xee);
    const rebuilt = rebuildInto(out.subarray(5, 5 + sent.value.length), own, peer, back, 7);
    assert.ok(rebuilt.ok);
    assert.equal(rebuilt.value, packet.length);
    assert.equal(back[6], 0xee);
    assert.equal(back[7], 0x60);
  });

  test('never throws on arbitrary bytes, and what compresses rebuilds to the same payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        compress(bytes, own);
        rebuild(bytes, peer, own);
      }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 1310 }),
        fc.integer({ min: 0, max: 254 }),
        (payload, next) => {
          const sent = compress(ipv6(own, peer, payload, next), own);
          assert.ok(sent.ok);
          const rebuilt = rebuild(sent.value.bytes, own, peer);
          assert.ok(rebuilt.ok);
          assert.deepEqual(rebuilt.value.subarray(40), payload);
          assert.equal(rebuilt.value[6], next);
        },
      ),
    );
  });
});
