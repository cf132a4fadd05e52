import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { Identity } from '../identity.js';
import { compareBytes } from '../bytes.js';
import { initCrypto, wasmSodium } from '../crypto.js';
import { softwareCiphers, type DataCipher, type DataCipherFactory } from './data-cipher.js';
import { FLAG_REPLAY_WINDOW, HNET_FLAGS, STOCK_FLAGS } from './flags.js';
import { encodeHello, openHello } from './handshake-hello.js';
import { HelloSeq } from './hello-seq.js';
import {
  MAX_QUEUED,
  PREVIOUS_KEY_GRACE_MS,
  REKEY_AFTER_MS,
  RENEGOTIATE_AFTER_SILENCE_MS,
  SecuritySession,
  type ReceiveResult,
} from './session.js';
import { systemRandom } from './random.js';
import { seededRandom, testIdentity } from './test-peers.js';

const sodium = await wasmSodium();

let alice: Identity;
let bob: Identity;
let carol: Identity;

before(async () => {
  await initCrypto();
  [alice, bob, carol] = [testIdentity(), testIdentity(), testIdentity()];
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Side {
  session: SecuritySession;
  delivered: string[];
  events: string[];
  errors: string[];
}

function side(own: Identity, peer: Identity, flags: bigint, seq = new HelloSeq(), seed?: string): Side {
  const random = seed === undefined ? undefined : seededRandom(seed);
  return {
    session: new SecuritySession({
      own,
      ownFlags: flags,
      peerAddress: peer.address,
      helloSeq: seq,
      now: 0,
      ...(random && { random }),
    }),
    delivered: [],
    events: [],
    errors: [],
  };
}

function note(to: Side, result: ReceiveResult): Uint8Array[] {
  to.delivered.push(...result.deliver.map(str));
  if (result.event) to.events.push(result.event);
  if (result.error) to.errors.push(result.error.kind);
  return result.packets;
}

/** Sees every packet `exchange` delivers, and who sent it. */
type Tap = (packet: Uint8Array, sender: Side) => void;

/** Delivers packets back and forth, in order and without loss, until both sides are quiet. */
function exchange(from: Side, to: Side, packets: Uint8Array[], now: number, tap?: Tap): void {
  let queue = packets.map((p) => ({ p, from, to }));
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const { p, from: f, to: t } of queue) {
      tap?.(p, f);
      for (const answer of note(t, t.session.receive(p, now))) next.push({ p: answer, from: t, to: f });
    }
    queue = next;
  }
}

function connect(a: Side, b: Side, now = 0, first = 'hello'): void {
  exchange(a, b, a.session.send(text(first), now).packets, now);
  assert.ok(a.session.status.established && b.session.status.established, 'both sides hold keys');
}

describe('handshake', () => {
  test('the first packet to a new peer arrives: hello #3 goes out before the queued data', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const hello1 = a.session.send(text('ping 1'), 0).packets;
    assert.deepEqual(
      hello1.map((p) => p[0]),
      [1],
    );
    const hello2 = b.session.receive(hello1[0]!, 1).packets;
    assert.deepEqual(
      hello2.map((p) => p[0]),
      [2],
    );
    const afterHello2 = note(a, a.session.receive(hello2[0]!, 2));
    assert.deepEqual(
      afterHello2.map((p) => p[0]),
      [3, 0],
      'hello #3, then the data',
    );
    assert.deepEqual(a.events, ['established']);
    for (const p of afterHello2) note(b, b.session.receive(p, 3));
    assert.deepEqual(b.events, ['established']);
    assert.deepEqual(b.delivered, ['ping 1']);
    exchange(b, a, b.session.send(text('pong 1'), 4).packets, 4);
    assert.deepEqual(a.delivered, ['pong 1']);
    assert.equal(a.session.status.lastHandshakeAt, 2);
    assert.equal(b.session.status.peerFlags, HNET_FLAGS);
    assert.deepEqual(b.session.status.extensions, { replayWindow: true, rekeying: true });
  });

  test('works whichever side starts, in both address orders', () => {
    for (const [x, y] of [
      [alice, bob],
      [bob, alice],
      [carol, alice],
    ] as const) {
      const a = side(x, y, HNET_FLAGS);
      const b = side(y, x, STOCK_FLAGS);
      connect(b, a, 0, 'from b');
      exchange(a, b, a.session.send(text('from a'), 1).packets, 1);
      assert.deepEqual([a.delivered, b.delivered], [['from b'], ['from a']]);
    }
  });

  test('keys follow crypto_kx with the larger address as client and the flags mixed in, as computed here independently', () => {
    for (const [flagsA, flagsB] of [
      [STOCK_FLAGS, STOCK_FLAGS],
      [HNET_FLAGS, STOCK_FLAGS],
      [0n, 0n],
    ] as const) {
      const a = side(alice, bob, flagsA, new HelloSeq(), 'kx-a');
      const b = side(bob, alice, flagsB, new HelloSeq(), 'kx-b');
      // The first 32 random bytes a session draws seed its X25519 key pair.
      const kxSeed = (seed: string): Uint8Array => {
        const bytes = new Uint8Array(32);
        seededRandom(seed)(bytes);
        return bytes;
      };
      const kxA = sodium.crypto_kx_seed_keypair(kxSeed('kx-a'));
      const kxB = sodium.crypto_kx_seed_keypair(kxSeed('kx-b'));
      const aIsClient = compareBytes(alice.address, bob.address) > 0;
      const raw = aIsClient
        ? sodium.crypto_kx_client_session_keys(kxA.publicKey, kxA.privateKey, kxB.publicKey)
        : sodium.crypto_kx_server_session_keys(kxA.publicKey, kxA.privateKey, kxB.publicKey);
      const u64 = (v: bigint): Buffer => {
        const out = Buffer.alloc(8);
        out.writeBigUInt64LE(v);
        return out;
      };
      const aTx =
        flagsB === 0n
          ? raw.sharedTx
          : new Uint8Array(
              createHash('sha256').update(raw.sharedTx).update(u64(flagsA)).update(u64(flagsB)).digest(),
            );
      connect(a, b);
      const sealed = a.session.send(text('check'), 1).packets[0]!;
      const opened = sodium.crypto_secretbox_open_easy(sealed.subarray(25), sealed.subarray(1, 25), aTx);
      assert.equal(str(opened.subarray(8)), 'check', `flags ${flagsA}/${flagsB}`);
    }
  });

  test('simultaneous handshakes from both sides settle on one pair of keys', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const fromA = a.session.send(text('a1'), 0).packets;
    const fromB = b.session.send(text('b1'), 0).packets;
    const answersOfB = fromA.flatMap((p) => note(b, b.session.receive(p, 1)));
    const answersOfA = fromB.flatMap((p) => note(a, a.session.receive(p, 1)));
    exchange(b, a, answersOfB, 2);
    exchange(a, b, answersOfA, 2);
    exchange(a, b, a.session.send(text('a2'), 3).packets, 3);
    exchange(b, a, b.session.send(text('b2'), 3).packets, 3);
    assert.deepEqual(
      [a.delivered, b.delivered],
      [
        ['b1', 'b2'],
        ['a1', 'a2'],
      ],
    );
  });

  test('queues data until the keys exist, flushes it in order, and bounds the queue', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const hellos: Uint8Array[] = [];
    for (let i = 0; i < MAX_QUEUED; i++) hellos.push(...a.session.send(text(`q${i}`), i).packets);
    assert.equal(hellos.length, 1, 'one hello #1 while a retry is not yet due');
    const overflow = a.session.send(text('too many'), 10);
    assert.equal(overflow.error?.kind, 'QueueFull');
    assert.equal(a.session.status.queued, MAX_QUEUED);
    exchange(a, b, hellos, 20);
    assert.deepEqual(
      b.delivered,
      Array.from({ length: MAX_QUEUED }, (_, i) => `q${i}`),
    );
    assert.equal(a.session.status.queued, 0);
  });

  test('seals into a caller buffer after the outer header, or into a fresh array when it does not fit', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const buffer = new Uint8Array(200).fill(0x02);
    const [inPlace] = a.session.send(text('in place'), 1, { buffer, offset: 1 }).packets;
    assert.equal(inPlace!.buffer, buffer.buffer);
    assert.equal(inPlace!.byteOffset, 1);
    assert.equal(buffer[0], 0x02, 'the outer header byte is left alone');
    const [fresh] = a.session.send(text('x'.repeat(300)), 1, { buffer, offset: 1 }).packets;
    assert.notEqual(fresh!.buffer, buffer.buffer);
    note(b, b.session.receive(inPlace!, 2));
    note(b, b.session.receive(fresh!, 2));
    assert.deepEqual(b.delivered, ['hello', 'in place', 'x'.repeat(300)]);
  });

  test('a lost hello #1 is sent again by tick, and an unanswered handshake gives up', () => {
    const a = side(alice, bob, HNET_FLAGS);
    assert.equal(a.session.send(text('x'), 0).packets.length, 1);
    assert.equal(a.session.tick(500).packets.length, 0);
    assert.equal(a.session.tick(1000).packets[0]?.[0], 1);
    assert.equal(a.session.tick(30_000).packets.length, 0, 'no hellos forever to a peer that is gone');
    assert.equal(a.session.status.queued, 0);
  });

  test('as responder, holds data that overtakes hello #3 and delivers it once #3 arrives', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, STOCK_FLAGS);
    const hello1 = a.session.send(text('early'), 0).packets[0]!;
    const hello2 = b.session.receive(hello1, 1).packets[0]!;
    const [hello3, data] = a.session.receive(hello2, 2).packets;
    note(b, b.session.receive(data!, 3));
    assert.deepEqual(b.delivered, [], 'nothing yet');
    assert.deepEqual(b.errors, []);
    note(b, b.session.receive(hello3!, 4));
    assert.deepEqual(b.delivered, ['early']);
  });

  test('data before any handshake makes the receiver start one, as stock does', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const restartedB = side(bob, alice, HNET_FLAGS);
    const result = restartedB.session.receive(a.session.send(text('lost'), 1).packets[0]!, 1);
    assert.equal(result.error?.kind, 'NoSession');
    assert.equal(result.packets[0]?.[0], 1);
    exchange(restartedB, a, result.packets, 2);
    exchange(a, restartedB, a.session.send(text('after restart'), 3).packets, 3);
    assert.deepEqual(restartedB.delivered, ['after restart']);
  });

  test('data under keys we lack, while ours are older (hello #3 lost), starts a new handshake', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    // Alice restarts and shakes hands again, but her hello #3 never reaches Bob, who keeps the old keys.
    const restartedA = side(alice, bob, HNET_FLAGS);
    const hello2 = b.session.receive(restartedA.session.send(text('lost'), 1).packets[0]!, 2).packets;
    const [, data] = restartedA.session.receive(hello2[0]!, 3).packets;
    const afterHold = 10_000;
    const result = b.session.receive(data!, afterHold);
    assert.equal(result.error?.kind, 'DecryptFailed');
    assert.equal(result.packets[0]?.[0], 1, 'Bob starts a handshake');
    exchange(b, restartedA, result.packets, afterHold + 1);
    exchange(
      restartedA,
      b,
      restartedA.session.send(text('readable again'), afterHold + 2).packets,
      afterHold + 2,
    );
    assert.deepEqual(b.delivered, ['hello', 'readable again']);
  });

  test('a hello #3 made stale by a handshake with another peer starts a new handshake at once', () => {
    const shared = new HelloSeq();
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS, shared);
    const bWithCarol = side(bob, carol, HNET_FLAGS, shared);
    connect(a, b);
    // Alice shakes hands again (she restarted); meanwhile Bob completes one with Carol, which
    // moves his helloseq on, so Alice's hello #3 no longer completes anything at Bob's.
    const restartedA = side(alice, bob, HNET_FLAGS);
    const hello2 = b.session.receive(restartedA.session.send(text('lost'), 1).packets[0]!, 2).packets;
    connect(bWithCarol, side(carol, bob, HNET_FLAGS), 3);
    const [hello3] = restartedA.session.receive(hello2[0]!, 4).packets;
    const result = b.session.receive(hello3!, 5);
    assert.equal(result.error?.kind, 'HandshakeMismatch');
    assert.equal(result.packets[0]?.[0], 1, 'Bob starts a handshake');
    exchange(b, restartedA, result.packets, 6);
    exchange(restartedA, b, restartedA.session.send(text('readable again'), 7).packets, 7);
    assert.equal(b.delivered.at(-1), 'readable again');
  });

  test('renegotiates after 120 s without a valid packet', () => {
    const a = side(alice, bob, STOCK_FLAGS);
    const b = side(bob, alice, STOCK_FLAGS);
    connect(a, b);
    const quiet = RENEGOTIATE_AFTER_SILENCE_MS;
    assert.equal(a.session.tick(quiet - 1).packets.length, 0);
    assert.ok(a.session.status.established);
    a.session.tick(quiet);
    assert.ok(!a.session.status.established);
    const restart = a.session.send(text('after silence'), quiet + 1).packets;
    assert.deepEqual(
      restart.map((p) => p[0]),
      [1],
    );
    exchange(a, b, restart, quiet + 1);
    assert.deepEqual(b.delivered, ['hello', 'after silence']);
    assert.deepEqual(a.events, ['established', 'established']);
  });
});

describe("ciphers kept outside the session (the engine's native data lane)", () => {
  test('packets the lane seals and opens share the counter and window, and count as heard', () => {
    const made: DataCipher[] = [];
    const keep: DataCipherFactory = (keys) => {
      const cipher = softwareCiphers(systemRandom)(keys);
      made.push(cipher);
      return cipher;
    };
    const a: Side = {
      session: new SecuritySession({
        own: alice,
        ownFlags: HNET_FLAGS,
        peerAddress: bob.address,
        helloSeq: new HelloSeq(),
        now: 0,
        ciphers: keep,
      }),
      delivered: [],
      events: [],
      errors: [],
    };
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const cipher = a.session.cipher!;
    assert.equal(made.at(-1), cipher, 'the session seals and opens with the cipher it was given');
    // What the lane does with the same cipher, without the session seeing the packets.
    const bySession = a.session.send(text('one'), 1).packets;
    const byLane = cipher.seal(text('two'));
    exchange(a, b, [...bySession, byLane], 1);
    assert.deepEqual(b.delivered, ['hello', 'one', 'two'], 'one counter: neither packet looks replayed');
    const fromB = b.session.send(text('three'), 2).packets[0]!;
    assert.equal(cipher.open(fromB, new Uint8Array(2000)).ok, true, 'the lane opened it');
    assert.equal(note(a, a.session.receive(fromB, 2)).length, 0);
    assert.deepEqual(a.errors, ['Replayed'], 'and the session refuses it again: one window');
    // Only the lane hears from b from now on: that is traffic, not two minutes of silence.
    const quiet = RENEGOTIATE_AFTER_SILENCE_MS;
    cipher.open(b.session.send(text('four'), quiet - 10).packets[0]!, new Uint8Array(2000));
    a.session.tick(quiet - 10);
    a.session.tick(quiet + 10);
    assert.ok(a.session.status.established, 'keys kept: the lane heard the peer 20 ms ago');
  });
});

describe('hello checks', () => {
  test('a bad signature, a key that does not own the sender address, or a hello for someone else is refused', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const hello1 = a.session.send(text('x'), 0).packets[0]!;
    const forged = hello1.slice();
    forged[120]! ^= 1;
    assert.equal(b.session.receive(forged, 1).error?.kind, 'BadSignature');
    const flagsStripped = hello1.slice();
    flagsStripped[98] = 0;
    assert.equal(b.session.receive(flagsStripped, 1).error?.kind, 'BadSignature');
    const fromCarol = side(carol, bob, HNET_FLAGS).session.send(text('x'), 0).packets[0]!;
    assert.equal(b.session.receive(fromCarol, 1).error?.kind, 'AddressMismatch');
    const toCarol = side(alice, carol, HNET_FLAGS).session.send(text('x'), 0).packets[0]!;
    assert.equal(b.session.receive(toCarol, 1).error?.kind, 'NotForUs');
    assert.ok(!b.session.status.established);
  });

  test('a replayed hello #1 from an earlier handshake is refused', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const hello1 = a.session.send(text('x'), 0).packets;
    exchange(a, b, hello1, 0);
    assert.ok(b.session.status.established);
    const replay = b.session.receive(hello1[0]!, 5);
    assert.equal(replay.error?.kind, 'Replayed');
    assert.equal(replay.packets.length, 0);
  });

  test('replayed, reordered and interleaved hellos #2 and #3 are refused by the helloseq echo', () => {
    const shared = new HelloSeq();
    const a = side(alice, bob, HNET_FLAGS, shared);
    const aToCarol = side(alice, carol, HNET_FLAGS, shared);
    const b = side(bob, alice, HNET_FLAGS);
    const c = side(carol, alice, HNET_FLAGS);
    // Alice starts handshakes with Bob and Carol at once; Carol's completes first.
    const toB = a.session.send(text('for bob'), 0).packets;
    exchange(aToCarol, c, aToCarol.session.send(text('for carol'), 0).packets, 0);
    const hello2 = b.session.receive(toB[0]!, 1).packets[0]!;
    const stale = a.session.receive(hello2, 2);
    assert.equal(stale.error?.kind, 'HandshakeMismatch');
    assert.deepEqual(
      stale.packets.map((p) => p[0]),
      [1],
      'a fresh hello #1 at once',
    );
    exchange(a, b, stale.packets, 3);
    assert.deepEqual(b.delivered, ['for bob']);
    assert.deepEqual(c.delivered, ['for carol']);
    // Replays of the hellos that completed a handshake are now stale.
    assert.equal(a.session.receive(hello2, 4).error?.kind, 'HandshakeMismatch');
  });

  test('a hello #3 that arrives again after the handshake is refused and changes nothing', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const hello2 = b.session.receive(a.session.send(text('x'), 0).packets[0]!, 0).packets[0]!;
    const [hello3, data] = a.session.receive(hello2, 1).packets;
    note(b, b.session.receive(hello3!, 2));
    note(b, b.session.receive(data!, 2));
    assert.equal(b.session.receive(hello3!, 3).error?.kind, 'HandshakeMismatch');
    exchange(a, b, a.session.send(text('still fine'), 4).packets, 4);
    assert.deepEqual(b.delivered, ['x', 'still fine']);
    assert.deepEqual(b.events, ['established']);
  });

  test('hellos carry the flags and helloseq the spec describes', () => {
    const seq = new HelloSeq(seededRandom('seq'));
    assert.equal(seq.value & 0xffff_ffffn, 0n);
    const a = side(alice, bob, HNET_FLAGS, seq);
    const b = side(bob, alice, STOCK_FLAGS);
    const hello1 = a.session.send(text('x'), 0).packets[0]!;
    const opened = openHello(hello1, bob.address, alice.address);
    assert.ok(opened.ok);
    assert.equal(opened.value.senderSeq, seq.value);
    assert.equal(opened.value.echoedSeq, 0n);
    assert.equal(opened.value.flags, HNET_FLAGS);
    const before = seq.value;
    exchange(a, b, [hello1], 0);
    assert.equal(seq.value, before + 1n, 'one completed handshake, one increment');
  });
});

describe('stock peers and hnet extensions', () => {
  test('with a stock peer every packet says seq 0 and a replayed data packet is accepted, as stock does', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, STOCK_FLAGS);
    connect(a, b);
    assert.deepEqual(a.session.status.extensions, { replayWindow: false, rekeying: false });
    const packet = a.session.send(text('again'), 1).packets[0]!;
    note(b, b.session.receive(packet, 1));
    note(b, b.session.receive(packet, 2));
    assert.deepEqual(b.delivered, ['hello', 'again', 'again']);
    // And no rekey ever starts, however long the traffic flows.
    for (let t = 10_000; t <= 3 * REKEY_AFTER_MS; t += 10_000) {
      exchange(b, a, b.session.send(text('keepalive'), t).packets, t);
      assert.deepEqual(a.session.tick(t).packets, []);
      assert.deepEqual(b.session.tick(t).packets, []);
    }
  });

  test('between hnet peers a replayed or too old data packet is refused', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const first = a.session.send(text('once'), 1).packets[0]!;
    note(b, b.session.receive(first, 1));
    assert.equal(b.session.receive(first, 2).error?.kind, 'Replayed');
    const late = a.session.send(text('late'), 3).packets[0]!;
    for (let i = 0; i < 2048; i++)
      note(b, b.session.receive(a.session.send(text(`n${i}`), 3).packets[0]!, 3));
    assert.equal(b.session.receive(late, 4).error?.kind, 'Replayed');
    assert.equal(b.delivered.length, 2 + 2048);
  });

  test('a reordered packet inside the window is still delivered once', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const packets = ['p1', 'p2', 'p3'].map((p) => a.session.send(text(p), 1).packets[0]!);
    for (const i of [2, 0, 1, 0]) note(b, b.session.receive(packets[i]!, 2));
    assert.deepEqual(b.delivered, ['hello', 'p3', 'p1', 'p2']);
    assert.deepEqual(b.errors, ['Replayed']);
  });

  test('only the replay-window flag on both sides turns counters on', () => {
    const a = side(alice, bob, STOCK_FLAGS | FLAG_REPLAY_WINDOW);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    assert.deepEqual(b.session.status.extensions, { replayWindow: true, rekeying: false });
  });

  test('rekeys every 120 s with fresh keys and loses no packet in flight', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const [client, server] = compareBytes(alice.address, bob.address) > 0 ? [a, b] : [b, a];
    // Traffic both ways keeps the session alive while the rekey timer runs.
    for (let t = 10_000; t < REKEY_AFTER_MS; t += 10_000) {
      exchange(a, b, a.session.send(text('tick'), t).packets, t);
      exchange(b, a, b.session.send(text('tock'), t).packets, t);
      assert.deepEqual(client.session.tick(t).packets, []);
    }
    const inFlight = server.session.send(text('sealed under the old key'), REKEY_AFTER_MS).packets;
    const rekey = client.session.tick(REKEY_AFTER_MS).packets;
    assert.deepEqual(
      rekey.map((p) => p[0]),
      [1],
    );
    exchange(client, server, rekey, REKEY_AFTER_MS);
    assert.deepEqual(client.events, ['established', 'rekeyed']);
    assert.deepEqual(server.events, ['established', 'rekeyed']);
    exchange(server, client, inFlight, REKEY_AFTER_MS + 1);
    assert.equal(client.delivered.at(-1), 'sealed under the old key');
    // After the grace period, the old key is gone.
    const tooLate = server.session.send(text('x'), REKEY_AFTER_MS + 2).packets[0]!;
    const oldKeyPacket = inFlight[0]!;
    client.session.tick(REKEY_AFTER_MS + PREVIOUS_KEY_GRACE_MS + 1);
    note(client, client.session.receive(tooLate, REKEY_AFTER_MS + PREVIOUS_KEY_GRACE_MS + 2));
    assert.equal(client.delivered.at(-1), 'x');
    assert.equal(
      client.session.receive(oldKeyPacket, REKEY_AFTER_MS + PREVIOUS_KEY_GRACE_MS + 3).error?.kind,
      'DecryptFailed',
    );
  });

  test('a hello #1 re-signed by the peer with a different kx key is answered, never used without #3', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    connect(a, b);
    const seq = new HelloSeq();
    const lone = encodeHello(
      {
        number: 1,
        kxPublicKey: new Uint8Array(32).fill(9),
        target: bob.address,
        senderSeq: seq.value,
        echoedSeq: 0n,
        flags: HNET_FLAGS,
      },
      alice,
    );
    const answer = b.session.receive(lone, 1);
    assert.equal(answer.packets[0]?.[0], 2);
    exchange(a, b, a.session.send(text('keys unchanged'), 2).packets, 2);
    assert.deepEqual(b.delivered, ['hello', 'keys unchanged']);
  });
});

describe('forward secrecy', () => {
  test('every handshake, first, rekey or renegotiation, offers key-exchange keys never offered before', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const [client, server] = compareBytes(alice.address, bob.address) > 0 ? [a, b] : [b, a];
    const names = new Map([
      [a, 'alice'],
      [b, 'bob'],
    ]);
    /** Per handshake, the X25519 public keys each side's hellos carried. */
    const offered: Map<Side, Set<string>>[] = [];
    const handshake = (from: Side, to: Side, packets: Uint8Array[], now: number): void => {
      const keys = new Map([
        [a, new Set<string>()],
        [b, new Set<string>()],
      ]);
      exchange(from, to, packets, now, (packet, sender) => {
        const [own, peer] = sender === a ? [alice, bob] : [bob, alice];
        const hello = openHello(packet, peer.address, own.address);
        if (hello.ok) keys.get(sender)!.add(Buffer.from(hello.value.kxPublicKey).toString('hex'));
      });
      offered.push(keys);
    };

    handshake(a, b, a.session.send(text('first'), 0).packets, 0);
    const beforeRekey = REKEY_AFTER_MS - 10_000;
    exchange(a, b, a.session.send(text('keep'), beforeRekey).packets, beforeRekey);
    exchange(b, a, b.session.send(text('alive'), beforeRekey).packets, beforeRekey);
    handshake(client, server, client.session.tick(REKEY_AFTER_MS).packets, REKEY_AFTER_MS);
    const afterSilence = REKEY_AFTER_MS + RENEGOTIATE_AFTER_SILENCE_MS;
    a.session.tick(afterSilence);
    b.session.tick(afterSilence);
    handshake(a, b, a.session.send(text('again'), afterSilence + 1).packets, afterSilence + 1);

    const rounds = ['established', 'rekeyed', 'established'];
    assert.deepEqual([a.events, b.events], [rounds, rounds]);
    assert.deepEqual(b.delivered, ['first', 'keep', 'again']);
    offered.forEach((keys, round) => {
      for (const [sender, mine] of keys) {
        assert.ok(mine.size > 0, `${names.get(sender)} sent no hello in handshake ${round + 1}`);
        const earlier = offered
          .slice(0, round)
          .flatMap((previous) => [...previous.values()].flatMap((set) => [...set]));
        const reused = [...mine].filter((key) => earlier.includes(key));
        assert.deepEqual(
          reused,
          [],
          `${names.get(sender)} offered in handshake ${round + 1} a key-exchange key of an earlier handshake: whoever keeps its secret half can recompute both`,
        );
      }
    });
  });
});

describe('heartbeat', () => {
  test('a ping is answered in clear and its reply gives the round trip, once', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const ping = a.session.heartbeat(1000);
    assert.equal(ping[0], 4);
    const answer = b.session.receive(ping, 1010);
    assert.equal(answer.authentic, undefined, 'a ping proves nothing about who sent it');
    const reply = answer.packets;
    assert.deepEqual(reply[0]?.subarray(1), ping.subarray(1));
    const received = a.session.receive(reply[0]!, 1042);
    assert.deepEqual(received.roundTrip, { sentAt: 1000, ms: 42 });
    assert.equal(received.authentic, undefined, 'in clear: an answer, not proof of who answered');
    assert.equal(a.session.receive(reply[0]!, 1050).roundTrip, undefined, 'a repeat counts once');
    const unsolicited = Uint8Array.from([5, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(a.session.receive(unsolicited, 2000).roundTrip, undefined);
  });

  test('a slow reply still counts after a newer ping was sent, and answers for the ones before it', () => {
    const a = side(alice, bob, HNET_FLAGS);
    const b = side(bob, alice, HNET_FLAGS);
    const first = a.session.heartbeat(1000);
    const second = a.session.heartbeat(1500);
    const third = a.session.heartbeat(2000);
    const replyTo = (ping: Uint8Array) => b.session.receive(ping, 0).packets[0]!;
    assert.deepEqual(a.session.receive(replyTo(second), 2100).roundTrip, { sentAt: 1500, ms: 600 });
    assert.equal(
      a.session.receive(replyTo(first), 2150).roundTrip,
      undefined,
      'overtaken: a stale duplicate',
    );
    assert.deepEqual(a.session.receive(replyTo(third), 2200).roundTrip, { sentAt: 2000, ms: 200 });
  });
});
