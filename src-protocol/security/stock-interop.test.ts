import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Identity } from '../identity.js';
import { initCrypto } from '../crypto.js';
import { openData, sealData } from './data-packet.js';
import { HNET_FLAGS, STOCK_FLAGS } from './flags.js';
import { encodeHello, openHello, type HelloNumber } from './handshake-hello.js';
import { HelloSeq } from './hello-seq.js';
import { deriveSessionKeys, newKxKeyPair, type SessionKeys } from './keys.js';
import { NoncePool } from './nonce-pool.js';
import { systemRandom } from './random.js';
import { SecuritySession } from './session.js';
import { testIdentity } from './test-peers.js';

/**
 * The stock Husarnet 2.x security layer's observable behaviour, as PROTOCOL.md §3 describes it:
 * one kx key per peer for life, a hello #1 for every packet queued before keys, queued data flushed
 * BEFORE hello #3, and data that arrives before the keys dropped with a new hello #1 in answer.
 */
class StockPeer {
  private readonly kx = newKxKeyPair(systemRandom);
  private readonly nonces = new NoncePool(systemRandom);
  private readonly seq = new HelloSeq();
  private keys: SessionKeys | undefined;
  private queue: Uint8Array[] = [];

  constructor(
    private readonly own: Identity,
    private readonly peer: Identity,
  ) {}

  send(payload: Uint8Array): Uint8Array[] {
    if (this.keys) return [sealData(this.keys.tx, 0, payload, this.nonces)];
    this.queue.push(payload);
    return [this.hello(1, 0n)];
  }

  receive(packet: Uint8Array): { deliver: Uint8Array[]; packets: Uint8Array[] } {
    if (packet[0] === 0) {
      if (!this.keys) return { deliver: [], packets: [this.hello(1, 0n)] };
      const opened = openData(packet, this.keys.rx);
      return { deliver: opened.ok ? [opened.value.payload] : [], packets: [] };
    }
    const hello = openHello(packet, this.own.address, this.peer.address);
    assert.ok(hello.ok, 'the stock peer accepts every hello hnet sends');
    if (hello.value.number === 1) return { deliver: [], packets: [this.hello(2, hello.value.senderSeq)] };
    if (hello.value.echoedSeq !== this.seq.value) return { deliver: [], packets: [] };
    const keys = deriveSessionKeys({
      ownAddress: this.own.address,
      peerAddress: this.peer.address,
      ownKx: this.kx,
      peerKxPublicKey: hello.value.kxPublicKey,
      ownFlags: STOCK_FLAGS,
      peerFlags: hello.value.flags,
    });
    assert.ok(keys.ok);
    this.keys = keys.value;
    const packets = this.queue.map((payload) => sealData(keys.value.tx, 0, payload, this.nonces));
    this.queue = [];
    this.seq.advance();
    if (hello.value.number === 2) packets.push(this.hello(3, hello.value.senderSeq));
    return { deliver: [], packets };
  }

  private hello(number: HelloNumber, echoedSeq: bigint): Uint8Array {
    const fields = {
      number,
      kxPublicKey: this.kx.publicKey,
      target: this.peer.address,
      echoedSeq,
      flags: STOCK_FLAGS,
    };
    return encodeHello({ ...fields, senderSeq: this.seq.value }, this.own);
  }
}

interface Endpoint {
  receive(packet: Uint8Array): { deliver: Uint8Array[]; packets: Uint8Array[] };
  delivered: string[];
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function stockEndpoint(own: Identity, peer: Identity): Endpoint & { peer: StockPeer } {
  const stock = new StockPeer(own, peer);
  const delivered: string[] = [];
  return { peer: stock, delivered, receive: (p) => stock.receive(p) };
}

function hnetEndpoint(own: Identity, peer: Identity): Endpoint & { session: SecuritySession } {
  const session = new SecuritySession({
    own,
    ownFlags: HNET_FLAGS,
    peerAddress: peer.address,
    helloSeq: new HelloSeq(),
    now: 0,
  });
  const delivered: string[] = [];
  return { session, delivered, receive: (p) => session.receive(p, 0) };
}

/** An in-order, lossless link: delivers everything until both sides fall quiet. */
function run(from: Endpoint, to: Endpoint, packets: Uint8Array[]): void {
  let queue = packets.map((p) => ({ p, sender: from, receiver: to }));
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const { p, sender, receiver } of queue) {
      const result = receiver.receive(p);
      receiver.delivered.push(...result.deliver.map((d) => new TextDecoder().decode(d)));
      for (const answer of result.packets) next.push({ p: answer, sender: receiver, receiver: sender });
    }
    queue = next;
  }
}

let alice: Identity;
let bob: Identity;

before(async () => {
  await initCrypto();
  [alice, bob] = [testIdentity(), testIdentity()];
});

describe('with stock Husarnet peers', () => {
  test('between two stock peers the first packet is lost (the weakness hnet fixes)', () => {
    const a = stockEndpoint(alice, bob);
    const b = stockEndpoint(bob, alice);
    run(a, b, a.peer.send(text('first ping')));
    assert.deepEqual(b.delivered, []);
    run(a, b, a.peer.send(text('second ping')));
    assert.deepEqual(b.delivered, ['second ping']);
  });

  test('a stock initiator’s first packet reaches an hnet responder, which holds it for hello #3', () => {
    const a = stockEndpoint(alice, bob);
    const b = hnetEndpoint(bob, alice);
    run(a, b, a.peer.send(text('first ping')));
    assert.deepEqual(b.delivered, ['first ping']);
    assert.deepEqual(b.session.status.extensions, { replayWindow: false, rekeying: false });
    run(b, a, b.session.send(text('reply'), 1).packets);
    assert.deepEqual(a.delivered, ['reply']);
  });

  test('an hnet initiator’s first packet reaches a stock responder, because hello #3 goes first', () => {
    const a = hnetEndpoint(alice, bob);
    const b = stockEndpoint(bob, alice);
    run(a, b, a.session.send(text('first ping'), 0).packets);
    assert.deepEqual(b.delivered, ['first ping']);
    run(b, a, b.peer.send(text('reply')));
    assert.deepEqual(a.delivered, ['reply']);
  });

  test('after an hnet restart, the stock peer’s next packet starts a handshake that then carries traffic', () => {
    const a = stockEndpoint(alice, bob);
    const b = hnetEndpoint(bob, alice);
    run(a, b, a.peer.send(text('before restart')));
    const restarted = hnetEndpoint(bob, alice);
    run(a, restarted, a.peer.send(text('lost in the restart')));
    run(a, restarted, a.peer.send(text('after restart')));
    assert.deepEqual(restarted.delivered, ['after restart']);
  });
});
