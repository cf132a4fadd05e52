// The websetup port as the data path consults it (send.ts, receive.ts): which packets out of a peer's session it
// takes, which it lets through to the TUN device, what local processes may send the management
// peer, and that the management peer is kept off the native lane whenever it changes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAddress, parseOverlayAddress } from '../../../src-protocol/address.js';
import { rebuild } from '../../../src-protocol/tunnel-packet.js';
import {
  buildUdpPacket,
  NEXT_HEADER_ICMPV6,
  NEXT_HEADER_UDP,
  parseUdpPacket,
} from '../../../src-protocol/udp-packet.js';
import { WEBSETUP_NODE_PORT, WEBSETUP_SERVER_PORT } from '../../../src-protocol/websetup-messages.js';
import { ManagementPort } from './management-port.js';

const own = parseOverlayAddress('fc94::d')!;
const websetup = parseOverlayAddress('fc94::5e')!;
const other = parseOverlayAddress('fc94::07')!;
const bytes = (text: string) => new TextEncoder().encode(text);

/** A port with `websetup` managed, recording what it hands to its listener and carrier. */
function managedPort() {
  const heard: { text: string; from: string; port: number }[] = [];
  const lane: string[] = [];
  const sent: { peer: string; payload: Uint8Array; ipLength: number }[] = [];
  const port = new ManagementPort(own);
  port.attach({
    sendToPeer: (peer, payload, ipLength) => {
      sent.push({ peer: formatAddress(peer), payload: payload.slice(), ipLength });
      return true;
    },
    keepOffLane: (peer, off) => lane.push(`${off ? 'off' : 'on'} ${formatAddress(peer)}`),
  });
  port.manage(websetup);
  port.listen((data, from, fromPort) =>
    heard.push({ text: new TextDecoder().decode(data), from, port: fromPort }),
  );
  return { port, heard, lane, sent };
}

/** An IPv6 packet as the router rebuilds it from `peer`'s session, with another next header. */
function withNextHeader(nextHeader: number): Uint8Array {
  const packet = buildUdpPacket(websetup, WEBSETUP_SERVER_PORT, own, WEBSETUP_NODE_PORT, bytes('x'));
  packet[6] = nextHeader;
  return packet;
}

describe('the management port', () => {
  test('takes the management peer’s UDP to port 5580, with the session’s address as the source', () => {
    const { port, heard } = managedPort();
    const packet = buildUdpPacket(websetup, 4800, own, WEBSETUP_NODE_PORT, bytes('secretAAAAAping\n'));
    assert.equal(port.fromPeer(websetup, packet), 'port');
    assert.deepEqual(heard, [{ text: 'secretAAAAAping\n', from: formatAddress(websetup), port: 4800 }]);
  });

  test('lets the management peer’s ICMPv6 through to the TUN device and drops everything else it sends', () => {
    const { port, heard } = managedPort();
    assert.equal(port.fromPeer(websetup, withNextHeader(NEXT_HEADER_ICMPV6)), 'tun');
    const toAnotherPort = buildUdpPacket(websetup, 4800, own, 22, bytes('x'));
    const toAnotherHost = buildUdpPacket(websetup, 4800, other, WEBSETUP_NODE_PORT, bytes('x'));
    const corrupted = buildUdpPacket(websetup, 4800, own, WEBSETUP_NODE_PORT, bytes('x'));
    corrupted[corrupted.length - 1]! ^= 1;
    assert.equal(port.fromPeer(websetup, withNextHeader(6)), 'websetup-not-management', 'TCP');
    assert.equal(port.fromPeer(websetup, withNextHeader(0)), 'websetup-not-management', 'hop-by-hop');
    assert.equal(port.fromPeer(websetup, toAnotherPort), 'websetup-not-management');
    assert.equal(port.fromPeer(websetup, toAnotherHost), 'websetup-not-management');
    assert.equal(port.fromPeer(websetup, corrupted), 'websetup-bad-udp');
    assert.deepEqual(heard, []);
  });

  test('leaves every other peer’s packets, port 5580 included, to the TUN device', () => {
    const { port, heard } = managedPort();
    const packet = buildUdpPacket(other, 4800, own, WEBSETUP_NODE_PORT, bytes('secretAAAAAping\n'));
    assert.equal(port.fromPeer(other, packet), 'tun');
    assert.deepEqual(heard, []);
  });

  test('lets local processes only ping the management peer; other peers take anything', () => {
    const { port } = managedPort();
    assert.equal(port.allowsFromTun(websetup, NEXT_HEADER_ICMPV6), true);
    assert.equal(port.allowsFromTun(websetup, NEXT_HEADER_UDP), false);
    assert.equal(port.allowsFromTun(websetup, 0), false, 'an extension header is not ICMPv6');
    assert.equal(port.allowsFromTun(other, NEXT_HEADER_UDP), true);
    port.manage(undefined);
    assert.equal(port.allowsFromTun(websetup, NEXT_HEADER_UDP), true, 'after leaving, a peer like any');
  });

  test('sends into the management peer’s session, from port 5580, as a tunnel payload', () => {
    const { port, sent } = managedPort();
    assert.equal(port.send(bytes('init-request\n'), WEBSETUP_SERVER_PORT), true);
    const [only] = sent;
    assert.equal(only?.peer, formatAddress(websetup));
    const rebuilt = rebuild(only.payload, own, websetup);
    assert.ok(rebuilt.ok);
    assert.equal(only.ipLength, rebuilt.value.length);
    const udp = parseUdpPacket(rebuilt.value);
    assert.equal(udp?.sourcePort, WEBSETUP_NODE_PORT);
    assert.equal(udp?.destinationPort, WEBSETUP_SERVER_PORT);
    assert.equal(new TextDecoder().decode(udp?.payload), 'init-request\n');
    port.manage(undefined);
    assert.equal(port.send(bytes('init-request\n'), WEBSETUP_SERVER_PORT), false, 'no one to send to');
    assert.equal(sent.length, 1);
  });

  test('keeps whichever peer it manages off the lane, and lets the previous one back on', () => {
    const { port, lane } = managedPort();
    port.manage(websetup);
    port.manage(other);
    port.manage(undefined);
    assert.deepEqual(lane, [
      `off ${formatAddress(websetup)}`,
      `on ${formatAddress(websetup)}`,
      `off ${formatAddress(other)}`,
      `on ${formatAddress(other)}`,
    ]);
    const later: string[] = [];
    port.manage(websetup);
    port.attach({
      sendToPeer: () => true,
      keepOffLane: (peer, off) => later.push(`${off} ${formatAddress(peer)}`),
    });
    assert.deepEqual(later, [`true ${formatAddress(websetup)}`], 'a data plane attached later hears it too');
  });
});
