// Hostile input: every decoder gets random bytes and mangled copies of real stock-daemon messages.
// Each must answer with a value or a typed error and never throw; signed messages must reject any change.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeBaseToPeer, decodePeerToBase } from './base-messages.js';
import { equalBytes } from './bytes.js';
import { initCrypto } from './crypto.js';
import { decodeEndpoint, decodeEndpoints, parseEndpoint } from './endpoint.js';
import { parseIdentityFile } from './identity.js';
import { decodeLanBeacon } from './lan-beacon.js';
import { parseLicense } from './license.js';
import { decodePeerMessage } from './p2p-messages.js';
import type { Result } from './result.js';
import { FrameDecoder } from './tcp-frame.js';
import { loadVectors, vector, type Vectors } from './test-vectors.js';
import {
  decodeNodeToWebsetup,
  openWebsetupDatagram,
  parseJoinCode,
  parseWebsetupCommand,
} from './websetup-messages.js';

let vectors: Vectors;
let samples: Uint8Array[];
const ownId = Uint8Array.from(Buffer.from('fc94a87370b222947cab80a0d526cfe6', 'hex'));
const secret = '0123456789abcdef01234567';
const latin1 = new TextDecoder('latin1');

before(async () => {
  await initCrypto();
  vectors = await loadVectors();
  samples = [...vectors.udp, ...vectors.baseMessages, ...vectors.securityHellos].map((m) =>
    vector([m], m.name),
  );
  samples.push(new TextEncoder().encode(`${secret}00001whitelist-add\nfc9459d22c2e85bd6b5e83f6f9167cb8`));
});

function assertTyped(result: Result<unknown>, what: string): void {
  assert.equal(typeof result.ok, 'boolean', what);
  if (!result.ok) {
    assert.equal(typeof result.error.kind, 'string', what);
    assert.equal(typeof result.error.message, 'string', what);
  }
}

const byteDecoders: [string, (bytes: Uint8Array) => Result<unknown>][] = [
  ['decodePeerToBase', decodePeerToBase],
  ['decodeBaseToPeer', decodeBaseToPeer],
  ['decodePeerMessage', (b) => decodePeerMessage(b)],
  ['decodePeerMessage(ownId)', (b) => decodePeerMessage(b, ownId)],
  ['decodeLanBeacon', decodeLanBeacon],
  ['decodeEndpoint', decodeEndpoint],
  ['decodeEndpoints', decodeEndpoints],
  ['decodeNodeToWebsetup', decodeNodeToWebsetup],
  [
    'websetup command',
    (b) => {
      const opened = openWebsetupDatagram(b, secret);
      return opened.ok ? parseWebsetupCommand(opened.value) : opened;
    },
  ],
  ['parseIdentityFile', (b) => parseIdentityFile(latin1.decode(b))],
  ['parseLicense', (b) => parseLicense(latin1.decode(b))],
  ['parseJoinCode', (b) => parseJoinCode(latin1.decode(b))],
  ['parseEndpoint', (b) => parseEndpoint(latin1.decode(b))],
];

type Mutation =
  | { kind: 'flip'; bits: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; tail: Uint8Array }
  | { kind: 'splice'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

function mutate(original: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const out = original.slice();
      for (const bit of m.bits) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
      return out;
    }
    case 'truncate':
      return original.slice(0, m.at % original.length);
    case 'extend':
      return Uint8Array.of(...original, ...m.tail);
    case 'splice': {
      const at = m.at % (original.length + 1);
      return Uint8Array.of(...original.subarray(0, at), ...m.bytes, ...original.subarray(at));
    }
  }
}

describe('decoders under hostile input', () => {
  test('random bytes never make a decoder throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2100 }), (bytes) => {
        for (const [name, decode] of byteDecoders) assertTyped(decode(bytes), name);
      }),
      { numRuns: 2000 },
    );
  });

  test('random bytes led by a valid kind byte never make a decoder throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 300 }), (kind, rest) => {
        const bytes = Uint8Array.of(kind, ...rest);
        for (const [name, decode] of byteDecoders) assertTyped(decode(bytes), name);
      }),
      { numRuns: 2000 },
    );
  });

  test('mangled real messages never make a decoder throw', () => {
    fc.assert(
      fc.property(fc.nat(), mutation, (pick, m) => {
        const bytes = mutate(samples[pick % samples.length]!, m);
        for (const [name, decode] of byteDecoders) assertTyped(decode(bytes), name);
      }),
      { numRuns: 2000 },
    );
  });

  test('any change to a signed stock message gets it rejected or stripped of authority', () => {
    // A changed kind byte can turn a signed message into an unsigned kind (base DATA, peer DATA);
    // those carry no identity, so the only acceptable outcome is rejection or an unsigned reading.
    const unauthenticated = (value: unknown): boolean => {
      const { kind } = value as { kind: string };
      return kind === 'data' || kind === 'userAgent';
    };
    const signed: [string, (b: Uint8Array) => Result<unknown>, Uint8Array][] = [
      ['natInit', decodePeerToBase, vector(vectors.udp, 'natInit')],
      ['natOkConfirm', decodePeerToBase, vector(vectors.udp, 'natOkConfirm')],
      ['info', decodePeerToBase, vector(vectors.baseMessages, 'info')],
      ['requestInfo', decodePeerToBase, vector(vectors.baseMessages, 'requestInfo')],
      ['p2pHello', (b) => decodePeerMessage(b), vector(vectors.udp, 'p2pHello')],
      ['p2pHelloReply', (b) => decodePeerMessage(b), vector(vectors.udp, 'p2pHelloReply')],
    ];
    for (const [name, decode, original] of signed) assert.ok(decode(original).ok, `${name} as captured`);
    fc.assert(
      fc.property(fc.nat(), mutation, (pick, m) => {
        const [name, decode, original] = signed[pick % signed.length]!;
        const bytes = mutate(original, m);
        if (equalBytes(bytes, original)) return;
        const result = decode(bytes);
        if (result.ok)
          assert.ok(unauthenticated(result.value), `${name} still authenticated after ${m.kind}`);
        if (bytes[0] === original[0]) assert.equal(result.ok, false, `${name} accepted after ${m.kind}`);
      }),
      { numRuns: 2000 },
    );
  });

  test('the frame decoder survives any byte stream and never holds more than one frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 10 }),
        fc.boolean(),
        (chunks, framed) => {
          const decoder = new FrameDecoder();
          for (const chunk of chunks) {
            // Half the runs start each chunk with a plausible header so the length paths get exercised.
            const input =
              framed && chunk.length >= 3 ? Uint8Array.of(0x17, 3, 3, ...chunk.subarray(3)) : chunk;
            const pushed = decoder.push(input);
            assert.ok(Array.isArray(pushed.frames));
            if (pushed.error) assert.equal(typeof pushed.error.kind, 'string');
            assert.ok(decoder.pending <= 5 + 1994);
            for (const frame of pushed.frames) assert.ok(frame.length <= 1994);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
