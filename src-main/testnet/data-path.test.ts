// The packet router through the data plane, on the in-memory network: IPv6 from the device is
// compressed, sealed, carried and rebuilt byte for byte on the other side; multicast goes to every
// allowed peer, once; what is malformed, from the device or the network, is dropped and counted,
// and the node carries on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseIpv6 } from '../../src-protocol/address.js';
import { P2P_DATA_KIND, P2P_HELLO_LENGTH } from '../../src-protocol/p2p-messages.js';
import { REBUILT_HOP_LIMIT } from '../../src-protocol/tunnel-packet.js';
import { echoPacket, parseEcho } from './memory-tun.js';
import { TestNet, type TestNode } from './test-net.js';

const ALL_NODES = parseIpv6('ff02::1')!;
const HOP_LIMIT_BYTE = 7;

/** Packets `node`'s device received since `seen` that are echo requests from `from` to `to`. */
const requestsIn = (node: TestNode, seen: number, from: TestNode, to: Uint8Array) =>
  node.tun.written.slice(seen).filter((packet) => {
    const echo = parseEcho(packet);
    return (
      echo?.kind === 'request' &&
      Buffer.from(echo.source).equals(from.addressBytes) &&
      Buffer.from(echo.destination).equals(to)
    );
  });

describe('the packet router between engines', () => {
  let net: TestNet;
  let alpha: TestNode;
  let bravo: TestNode;
  let charlie: TestNode;

  before(async () => {
    net = await TestNet.start({
      names: ['alpha', 'bravo', 'charlie'],
    });
    [alpha, bravo, charlie] = ['alpha', 'bravo', 'charlie'].map((n) => net.node(n)) as [
      TestNode,
      TestNode,
      TestNode,
    ];
    await net.pingUntilAnswered('alpha', 'bravo');
    await net.pingUntilAnswered('alpha', 'charlie');
  });
  after(() => net?.stop());

  test('a unicast packet arrives rebuilt byte for byte, but for the hop limit stock peers set', async () => {
    const seen = bravo.tun.written.length;
    const sent = echoPacket(
      { kind: 'request', source: alpha.addressBytes, destination: bravo.addressBytes, id: 7, seq: 42 },
      new TextEncoder().encode('through the tunnel and back'),
    );
    assert.ok(alpha.tun.send(sent));
    const [arrived] = await net.until('the packet on bravo', () => {
      const found = requestsIn(bravo, seen, alpha, bravo.addressBytes);
      return found.length > 0 ? found : undefined;
    });
    const expected = sent.slice();
    expected[HOP_LIMIT_BYTE] = REBUILT_HOP_LIMIT;
    assert.deepEqual(arrived, expected);
  });

  test('multicast reaches every allowed peer once, and each answers', async () => {
    const seen = new Map([bravo, charlie].map((node) => [node, node.tun.written.length]));
    const repliesBefore = alpha.tun.written.length;
    const request = echoPacket({
      kind: 'request',
      source: alpha.addressBytes,
      destination: ALL_NODES,
      id: 9,
      seq: 1,
    });
    assert.ok(alpha.tun.send(request));
    for (const node of [bravo, charlie])
      await net.until(`the multicast on ${node.name}`, () =>
        requestsIn(node, seen.get(node)!, alpha, ALL_NODES).length === 1 ? true : undefined,
      );
    const repliedBy = await net.until('replies from both', () => {
      const from = alpha.tun.written
        .slice(repliesBefore)
        .map(parseEcho)
        .filter((echo) => echo?.kind === 'reply' && echo.id === 9)
        .map((echo) => Buffer.from(echo!.source).toString('hex'));
      return from.length >= 2 ? from.sort() : undefined;
    });
    const hex = (node: TestNode) => Buffer.from(node.addressBytes).toString('hex');
    assert.deepEqual(repliedBy, [hex(bravo), hex(charlie)].sort());
  });

  test('the kernel asking for a router is not sent to every peer, and is counted', async () => {
    const solicitation = echoPacket({
      kind: 'request',
      source: alpha.addressBytes,
      destination: parseIpv6('ff02::2')!,
      id: 0,
      seq: 0,
    });
    solicitation[40] = 133;
    const seen = bravo.tun.written.length;
    const before = net.status('alpha').drops?.['tun-router-solicitation'] ?? 0;
    assert.ok(alpha.tun.send(solicitation));
    assert.equal(net.status('alpha').drops?.['tun-router-solicitation'], before + 1);
    assert.ok(await net.ping('alpha', 'bravo'));
    assert.ok(bravo.tun.written.slice(seen).every((packet) => packet[40] !== 133));
  });

  test('malformed packets from the device are dropped and counted by what is wrong with them', () => {
    const good = echoPacket({
      kind: 'request',
      source: alpha.addressBytes,
      destination: bravo.addressBytes,
      id: 1,
      seq: 1,
    });
    const ipv4 = good.slice();
    ipv4[0] = 0x45;
    const badLength = good.slice();
    badLength[5]! += 1;
    const notOurs = good.slice();
    notOurs.set(charlie.addressBytes, 8);
    for (const packet of [ipv4, badLength, notOurs, good.subarray(0, 40)]) assert.ok(alpha.tun.send(packet));
    const drops = net.status('alpha').drops ?? {};
    for (const reason of ['tun-BadFormat', 'tun-BadLength', 'tun-AddressMismatch', 'tun-Truncated'])
      assert.equal(drops[reason], 1, `${reason}: ${JSON.stringify(drops)}`);
  });

  test('malformed datagrams from the network are dropped and counted, and traffic carries on', async () => {
    const before = net.status('alpha').drops ?? {};
    const to = { ip: alpha.host.ip, port: 5582 };
    const from = { ip: '10.0.0.99', port: 4000 };
    const hello = new Uint8Array(P2P_HELLO_LENGTH);
    hello.set(bravo.addressBytes, 1);
    for (const datagram of [
      Uint8Array.of(0x42, 1, 2, 3),
      Uint8Array.of(P2P_DATA_KIND, 1, 2, 3),
      hello,
      new Uint8Array(0),
    ])
      net.network.inject(from, to, datagram);
    const counted = (reason: string) => (net.status('alpha').drops?.[reason] ?? 0) - (before[reason] ?? 0);
    await net.until('the datagrams counted', () =>
      counted('p2p-unknown-kind') === 2 && counted('p2p-data-without-hello') === 1 ? true : undefined,
    );
    const helloRefusals = Object.keys(net.status('alpha').drops ?? {}).filter(
      (reason) => reason.startsWith('p2p-hello-') && counted(reason) > 0,
    );
    assert.equal(helloRefusals.length, 1, 'the forged HELLO is refused');
    assert.ok(await net.ping('bravo', 'alpha'), 'alpha still answers');
    assert.equal(net.peer('alpha', 'bravo')?.path, 'direct');
  });
});
