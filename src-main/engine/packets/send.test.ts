// What the sender does with multicast the kernel routes into hnet0: it goes to every allowed peer,
// except the router solicitations Linux keeps sending on a new interface, which no overlay device
// answers and which would otherwise wake every idle peer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOverlayAddress } from '../../../src-protocol/address.js';
import type { Identity } from '../../../src-protocol/identity.js';
import { DropCounter } from '../drops.js';
import { PacketSender } from './send.js';
import type { Peer } from '../paths/peer.js';

const OWN = parseOverlayAddress('fc94:1::1')!;
/** ff02::`last`, a link-local group. */
const group = (last: number): Uint8Array =>
  Uint8Array.from({ length: 16 }, (_, i) => [0xff, 0x02][i] ?? (i === 15 ? last : 0));
const ALL_NODES = group(1);
const ALL_ROUTERS = group(2);
const ICMPV6 = 58;

/** An ICMPv6 message of `type` from this device to `group`, as the kernel writes it to hnet0. */
function icmpv6(group: Uint8Array, type: number): Uint8Array {
  const body = Uint8Array.from([type, 0, 0, 0, 0, 0, 0, 0]);
  const packet = new Uint8Array(40 + body.length);
  packet[0] = 0x60;
  packet[5] = body.length;
  packet[6] = ICMPV6;
  packet[7] = 255;
  packet.set(OWN, 8);
  packet.set(group, 24);
  packet.set(body, 40);
  return packet;
}

function senderWithPeers(count: number) {
  const drops = new DropCounter();
  const sent: string[][] = Array.from({ length: count }, () => []);
  const peers = sent.map(
    (log) =>
      ({
        send: (payload: Uint8Array) => log.push(Buffer.from(payload).toString('hex')),
      }) as unknown as Peer,
  );
  const sender = new PacketSender({
    identity: { address: OWN } as Identity,
    udp: { send: () => undefined },
    base: { sendData: () => false },
    table: { findOrCreate: () => undefined },
    drops,
    multicastPeers: () => peers,
    management: { allowsFromTun: () => true },
  });
  return { sender, sent, drops };
}

describe('multicast from the TUN device', () => {
  test('a packet to a group goes to every allowed peer, the same bytes to each', () => {
    const { sender, sent, drops } = senderWithPeers(2);
    sender.fromTun(icmpv6(ALL_NODES, 128));
    assert.equal(sent[0]!.length, 1);
    assert.deepEqual(sent[1], sent[0]);
    assert.deepEqual(drops.snapshot(), {});
  });

  test('a router solicitation goes to no peer and is counted', () => {
    const { sender, sent, drops } = senderWithPeers(2);
    sender.fromTun(icmpv6(ALL_ROUTERS, 133));
    assert.deepEqual(sent, [[], []]);
    assert.deepEqual(drops.snapshot(), { 'tun-router-solicitation': 1 });
  });
});
