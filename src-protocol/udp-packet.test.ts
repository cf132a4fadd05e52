import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOverlayAddress } from './address.js';
import { buildUdpPacket, NEXT_HEADER_ICMPV6, parseUdpPacket } from './udp-packet.js';

const from = parseOverlayAddress('fc94:59d2:2c2e:85bd:6b5e:83f6:f916:7cb8')!;
const to = parseOverlayAddress('fc94:b01d:1803:8dd8:b293:5c7d:7639:932a')!;
const payload = new TextEncoder().encode('init-request\n');

test('a datagram built here parses back to the same ports, addresses and bytes', () => {
  const packet = buildUdpPacket(from, 5580, to, 4800, payload);
  assert.equal(packet.length, 40 + 8 + payload.length);
  assert.deepEqual(parseUdpPacket(packet), {
    source: from,
    sourcePort: 5580,
    destination: to,
    destinationPort: 4800,
    payload,
  });
});

test('the checksum passes the check a receiving kernel makes', () => {
  // RFC 768/8200: the one's complement sum over the pseudo-header and the datagram, checksum
  // included, is all ones. An odd payload length exercises the padding byte.
  for (const body of ['ping', 'pong!', '']) {
    const packet = buildUdpPacket(from, 5580, to, 4800, new TextEncoder().encode(body));
    const udp = packet.subarray(40);
    const words = [...packet.subarray(8, 40), ...udp, ...(udp.length % 2 ? [0] : [])];
    let sum = udp.length + 17;
    for (let i = 0; i < words.length; i += 2) sum += (words[i]! << 8) | words[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    assert.equal(sum, 0xffff, JSON.stringify(body));
  }
});

test('a packet whose checksum, lengths or next header are wrong is not a datagram', () => {
  const good = buildUdpPacket(from, 5580, to, 4800, payload);
  const corrupted = good.slice();
  corrupted[good.length - 1]! ^= 1;
  const spoofed = good.slice();
  spoofed[8]! ^= 1;
  const shortLength = good.slice();
  shortLength[5]! -= 1;
  const extensionHeader = good.slice();
  extensionHeader[6] = 0;
  const icmp = good.slice();
  icmp[6] = NEXT_HEADER_ICMPV6;
  for (const [name, packet] of Object.entries({
    corrupted,
    spoofed,
    shortLength,
    extensionHeader,
    icmp,
    truncated: good.subarray(0, 47),
  }))
    assert.equal(parseUdpPacket(packet), undefined, name);
});

test('the parsed datagram is a copy, safe once the buffer it came in is reused', () => {
  const buffer = buildUdpPacket(from, 5580, to, 4800, payload);
  const parsed = parseUdpPacket(buffer)!;
  buffer.fill(0);
  assert.deepEqual(parsed.source, from);
  assert.deepEqual(parsed.payload, payload);
});
