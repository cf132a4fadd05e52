// How the receiver sorts what arrives on the UDP port and what it hands the TUN device: DATA only
// from a source a signed HELLO bound, HELLOs refused cheaply before their signatures are checked,
// a real HELLO answered with a signed reply, and payloads rebuilt for the device or kept for the
// management port.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initCrypto } from '../../../src-protocol/crypto.js';
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import { generateIdentity } from '../../../src-protocol/identity.js';
import {
  decodePeerMessage,
  encodePeerHello,
  generatePeerCookie,
  P2P_DATA_KIND,
} from '../../../src-protocol/p2p-messages.js';
import { compress } from '../../../src-protocol/tunnel-packet.js';
import { buildUdpPacket } from '../../../src-protocol/udp-packet.js';
import type { UdpTarget } from '../io/udp-socket.js';
import type { Peer, PeerCandidate } from '../paths/peer.js';
import { DropCounter } from '../drops.js';
import { PacketReceiver, type ReceiverParts } from './receive.js';

await initCrypto();
const own = generateIdentity();
const sender = generateIdentity();
const FROM = { ip: '192.0.2.7', port: 5582 };
const KEY = `${FROM.ip}|${FROM.port}`;

/** One peer (`sender`) the table knows; what reached it, what left the socket, what was written. */
function receiverFor(options: { allowed?: boolean; manage?: 'tun' | 'port' } = {}) {
  const drops = new DropCounter();
  const received: { packet: number[]; at: number; from: PeerCandidate | undefined }[] = [];
  const heard: PeerCandidate[] = [];
  const bound = new Map<string, { peer: Peer; candidate: PeerCandidate }>();
  const sent: { bytes: Uint8Array; target: UdpTarget }[] = [];
  const written: Uint8Array[] = [];
  const toBase: string[] = [];
  const peer = {
    address: sender.address,
    path: {
      add: (endpoint: Endpoint, target: UdpTarget) =>
        ({ endpoint, target, key: `${endpoint.ip}|${endpoint.port}` }) as unknown as PeerCandidate,
    },
    receive: (packet: Uint8Array, at: number, from: PeerCandidate | undefined) =>
      received.push({ packet: [...packet], at, from }),
    heard: (from: PeerCandidate) => heard.push(from),
    answered: () => undefined,
  } as unknown as Peer;
  const parts: ReceiverParts = {
    identity: own,
    udp: {
      send: (bytes, target) => sent.push({ bytes: bytes.slice(), target }),
      target: (endpoint) => ({ address: endpoint.ip, port: endpoint.port }),
    },
    base: {
      isBaseSource: (ip) => ip === '198.51.100.1',
      handleDatagram: (message) => void toBase.push(Buffer.from(message).toString('hex')),
    },
    table: {
      findOrCreate: () => (options.allowed === false ? undefined : peer),
      source: (key) => bound.get(key),
      allows: () => options.allowed !== false,
      authenticate: (p, candidate) => void bound.set(KEY, { peer: p, candidate }),
    },
    drops,
    management: { fromPeer: () => options.manage ?? 'tun' },
  };
  const receiver = new PacketReceiver(parts);
  receiver.tun = { write: (packet) => written.push(packet.slice()) > 0 };
  return { receiver, drops, received, heard, bound, sent, written, toBase, peer };
}

const fromUdp = (receiver: PacketReceiver, bytes: Uint8Array, at = 10, from = FROM): void =>
  receiver.fromUdp(Buffer.from(bytes), from.ip, from.port, `${from.ip}|${from.port}`, at);

const helloFrom = (to: Uint8Array, cookie = generatePeerCookie()): Uint8Array => {
  const hello = encodePeerHello('hello', sender, to, cookie);
  assert.ok(hello.ok);
  return hello.value;
};

describe('datagrams on the UDP port', () => {
  test('DATA from a source no signed HELLO bound is dropped and counted', () => {
    const { receiver, drops, received } = receiverFor();
    fromUdp(receiver, Uint8Array.of(P2P_DATA_KIND, 1, 2, 3));
    assert.deepEqual(received, []);
    assert.deepEqual(drops.snapshot(), { 'p2p-data-without-hello': 1 });
  });

  test('a signed HELLO is answered with a signed reply and binds its source; then its DATA is taken', () => {
    const { receiver, drops, received, heard, bound, sent } = receiverFor();
    const cookie = generatePeerCookie();
    fromUdp(receiver, helloFrom(own.address, cookie));
    assert.deepEqual(drops.snapshot(), {});
    assert.equal(bound.size, 1, 'the source is now the peer’s');
    assert.equal(heard.length, 1);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.target, { address: FROM.ip, port: FROM.port });
    const reply = decodePeerMessage(sent[0]!.bytes, sender.address);
    assert.ok(reply.ok && reply.value.kind === 'helloReply', 'a reply the sender accepts');
    assert.deepEqual([...reply.value.cookie], [...cookie]);

    fromUdp(receiver, Uint8Array.of(P2P_DATA_KIND, 7, 8), 42);
    assert.deepEqual(received, [{ packet: [7, 8], at: 42, from: bound.get(KEY)!.candidate }]);
  });

  test('a HELLO from an id off the whitelist is refused before its signature is checked', () => {
    const { receiver, drops, sent, bound } = receiverFor({ allowed: false });
    fromUdp(receiver, helloFrom(own.address));
    assert.deepEqual(drops.snapshot(), { 'p2p-hello-not-whitelisted': 1 });
    assert.deepEqual([sent.length, bound.size], [0, 0]);
  });

  test('beyond 1000 HELLOs a second the rest are refused unchecked, until the next second', () => {
    const { receiver, drops } = receiverFor();
    // Addressed to another device: each one checked fails at once, cheaply.
    const elsewhere = helloFrom(generateIdentity().address);
    for (let i = 0; i < 1_001; i++) fromUdp(receiver, elsewhere, 5_000);
    assert.deepEqual(drops.snapshot(), { 'p2p-hello-NotForUs': 1_000, 'p2p-hello-over-budget': 1 });
    fromUdp(receiver, elsewhere, 6_000);
    assert.equal(drops.snapshot()['p2p-hello-NotForUs'], 1_001);
  });

  test('the base’s datagrams go to the base connection; unknown kinds are counted', () => {
    const { receiver, drops, toBase } = receiverFor();
    fromUdp(receiver, Uint8Array.of(P2P_DATA_KIND, 1), 10, { ip: '198.51.100.1', port: 5582 });
    assert.deepEqual(toBase, ['0201']);
    fromUdp(receiver, Uint8Array.of(9, 9));
    assert.deepEqual(drops.snapshot(), { 'p2p-unknown-kind': 1 });
  });
});

describe('delivering to the TUN device', () => {
  /** A UDP datagram from the sender's overlay address to ours, as the sender's peer compressed it. */
  const payload = (): { ip: Uint8Array; tunnel: Uint8Array } => {
    const ip = buildUdpPacket(sender.address, 4000, own.address, 5000, Uint8Array.of(1, 2, 3));
    const compressed = compress(ip, sender.address);
    assert.ok(compressed.ok);
    return { ip, tunnel: compressed.value.bytes };
  };

  test('a payload is rebuilt into the IPv6 packet the sender sent and written', () => {
    const { receiver, written, peer, drops } = receiverFor();
    const { ip, tunnel } = payload();
    assert.equal(receiver.deliver(peer, tunnel), ip.length);
    assert.equal(written.length, 1);
    // The hop limit is the tunnel's own; everything else is the sender's packet.
    assert.deepEqual([...written[0]!.subarray(8)], [...ip.subarray(8)]);
    assert.deepEqual(drops.snapshot(), {});
  });

  test('with no device it is counted as a failed write; the management port keeps its own', () => {
    const { receiver, written, peer, drops } = receiverFor();
    receiver.tun = undefined;
    assert.equal(receiver.deliver(peer, payload().tunnel), 0);
    assert.deepEqual(drops.snapshot(), { 'tun-write-failed': 1 });

    const managed = receiverFor({ manage: 'port' });
    assert.equal(managed.receiver.deliver(managed.peer, payload().tunnel), payload().ip.length);
    assert.deepEqual([written.length, managed.written.length], [0, 0]);
  });
});
