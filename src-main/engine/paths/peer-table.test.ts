// The peer table: who may exist (the whitelist), and which UDP sources may deliver DATA as whom.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity } from '../../../src-protocol/identity.js';
import { HelloSeq } from '../../../src-protocol/security/hello-seq.js';
import { HNET_FLAGS } from '../../../src-protocol/security/flags.js';
import { SecuritySession } from '../../../src-protocol/security/session.js';
import { DropCounter } from '../drops.js';
import { Peer, type PeerInbound, type PeerOutbound } from './peer.js';
import { PeerTable } from './peer-table.js';

await initCrypto();
const own = generateIdentity();
const helloSeq = new HelloSeq();
const links: PeerOutbound & PeerInbound = {
  directBuffer: (length) => ({ buffer: new Uint8Array(length), offset: 0 }),
  sendDirect: () => undefined,
  sendRelay: () => true,
  sendHello: () => undefined,
  deliver: () => 0,
};
const drops = new DropCounter();

function overlayAddress(last: number): Uint8Array {
  const address = new Uint8Array(16);
  address[0] = 0xfc;
  address[1] = 0x94;
  address[15] = last;
  return address;
}

function makeTable(allowed: Set<number>) {
  return new PeerTable(
    (address) =>
      new Peer({
        address,
        session: new SecuritySession({ own, ownFlags: HNET_FLAGS, peerAddress: address, helloSeq, now: 0 }),
        outbound: links,
        inbound: links,
        drops,
        onTransition: () => undefined,
        onHandshake: () => undefined,
      }),
    (address) => allowed.has(address[15]!),
  );
}

describe('peer table', () => {
  test('a peer exists only while the whitelist allows it', () => {
    const allowed = new Set([1]);
    const table = makeTable(allowed);
    assert.equal(table.findOrCreate(overlayAddress(2)), undefined, 'not whitelisted: no peer, no handshake');
    const peer = table.findOrCreate(overlayAddress(1));
    assert.ok(peer);
    assert.equal(table.find(overlayAddress(1)), peer);
    allowed.delete(1);
    assert.deepEqual(table.prune(), [peer]);
    assert.equal(table.find(overlayAddress(1)), undefined, 'its session is gone');
  });

  test('DATA is accepted from a source only after a HELLO, and only the last five sources count', () => {
    const table = makeTable(new Set([1, 2]));
    const peer = table.findOrCreate(overlayAddress(1))!;
    const candidates = [1, 2, 3, 4, 5, 6].map((n) =>
      peer.path.add({ ip: `10.0.0.${n}`, port: 5582 }, { address: `10.0.0.${n}`, port: 5582 }, 'observed', 0),
    );
    assert.equal(table.source(candidates[0]!.key), undefined);
    for (const candidate of candidates) table.authenticate(peer, candidate);
    assert.equal(table.source(candidates[0]!.key), undefined, 'the oldest source was forgotten');
    assert.equal(table.source(candidates[5]!.key)?.peer, peer);
    const other = table.findOrCreate(overlayAddress(2))!;
    table.authenticate(other, candidates[5]!);
    assert.equal(table.source(candidates[5]!.key)?.peer, other, 'a source moves to whoever proved it last');
    assert.ok(!peer.sources.includes(candidates[5]!));
  });
});
