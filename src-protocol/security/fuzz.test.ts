import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Identity } from '../identity.js';
import type { ProtocolErrorKind } from '../result.js';
import { initCrypto, wasmSodium } from '../crypto.js';
import { openData } from './data-packet.js';
import { HNET_FLAGS, STOCK_FLAGS } from './flags.js';
import { HELLO_LENGTH, openHello } from './handshake-hello.js';
import { classifySecurityPacket } from './security-packet.js';
import type { SecuritySession } from './session.js';
import { sessionTowards, testIdentity } from './test-peers.js';

const sodium = await wasmSodium();

let alice: Identity;
let bob: Identity;

before(async () => {
  await initCrypto();
  [alice, bob] = [testIdentity(), testIdentity()];
});

const RECEIVE_ERRORS = new Set<ProtocolErrorKind>([
  'Truncated',
  'TooLong',
  'BadLength',
  'BadKind',
  'BadSignature',
  'AddressMismatch',
  'InvalidKey',
  'NotForUs',
  'DecryptFailed',
  'Replayed',
  'HandshakeMismatch',
  'NoSession',
]);
const PAYLOADS = ['first', 'second', 'third'];
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bob, having answered Alice's hello #1, and what Alice sends him next: hello #3 and three data packets. */
function halfwayHandshake(flags: bigint): { bob: SecuritySession; genuine: Uint8Array[] } {
  const a = sessionTowards(alice, bob, flags);
  const b = sessionTowards(bob, alice, flags);
  const hello1 = a.send(text(PAYLOADS[0]!), 0).packets[0]!;
  const hello2 = b.receive(hello1, 0).packets[0]!;
  const genuine = [hello1, ...a.receive(hello2, 0).packets];
  for (const payload of PAYLOADS.slice(1)) genuine.push(...a.send(text(payload), 0).packets);
  return { bob: b, genuine };
}

type Mutation =
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'flip'; base: number; at: number[] }
  | { kind: 'truncate'; base: number; length: number }
  | { kind: 'extend'; base: number; tail: Uint8Array }
  | { kind: 'rekind'; base: number; first: number }
  | { kind: 'replay'; base: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 2100 }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    base: fc.nat(),
    at: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), base: fc.nat(), length: fc.nat() }),
  fc.record({
    kind: fc.constant('extend' as const),
    base: fc.nat(),
    tail: fc.uint8Array({ minLength: 1, maxLength: 1900 }),
  }),
  fc.record({
    kind: fc.constant('rekind' as const),
    base: fc.nat(),
    first: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('replay' as const), base: fc.nat() }),
);

function apply(m: Mutation, genuine: Uint8Array[]): Uint8Array {
  if (m.kind === 'random') return m.bytes;
  const base = genuine[m.base % genuine.length]!;
  switch (m.kind) {
    case 'flip': {
      const bent = base.slice();
      for (const at of m.at) bent[at % bent.length]! ^= 1 << (at % 8);
      return bent;
    }
    case 'truncate':
      return base.slice(0, m.length % base.length);
    case 'extend':
      return Uint8Array.from([...base, ...m.tail]);
    case 'rekind':
      return Uint8Array.from([m.first, ...base.subarray(1)]);
    case 'replay':
      return base;
  }
}

describe('fuzzing', () => {
  test('the decoders never throw on arbitrary bytes', () => {
    const key = sodium.crypto_secretbox_keygen();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2100 }), (bytes) => {
        classifySecurityPacket(bytes);
        openData(bytes, key);
        openHello(bytes, bob.address, alice.address);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: HELLO_LENGTH, maxLength: HELLO_LENGTH }), (bytes) => {
        const opened = openHello(bytes, bob.address, alice.address);
        assert.ok(!opened.ok);
      }),
    );
  });

  for (const flags of [HNET_FLAGS, STOCK_FLAGS]) {
    test(`session.receive survives random and mutated packets and delivers only what Alice sent (flags ${flags})`, () => {
      fc.assert(
        fc.property(fc.array(mutation, { maxLength: 12 }), (mutations) => {
          const { bob: b, genuine } = halfwayHandshake(flags);
          const delivered: string[] = [];
          const feed = (packet: Uint8Array, now: number): void => {
            const result = b.receive(packet, now);
            if (result.error) assert.ok(RECEIVE_ERRORS.has(result.error.kind), result.error.kind);
            delivered.push(...result.deliver.map((p) => new TextDecoder().decode(p)));
          };
          mutations.forEach((m, i) => feed(apply(m, genuine), i));
          for (const packet of genuine.slice(1)) feed(packet, 100);
          for (const payload of delivered) assert.ok(PAYLOADS.includes(payload), payload);
          assert.deepEqual(new Set(delivered), new Set(PAYLOADS));
          if (flags === HNET_FLAGS)
            assert.equal(delivered.length, PAYLOADS.length, 'each payload exactly once');
        }),
        { numRuns: 60 },
      );
    });
  }
});
