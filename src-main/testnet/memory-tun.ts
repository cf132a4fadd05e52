// The overlay device in memory, with the little of a kernel behind it that a ping needs: packets a
// test sends go to the engine as if routed into hnet0, packets the engine writes are kept in order,
// and an ICMPv6 echo request for this device (or a multicast group) is answered as Linux would.
// Echo packets are real IPv6 bytes with their checksum, so the packet router really compresses
// and rebuilds them.
import { equalBytes } from '../../src-protocol/bytes.js';
import { pseudoHeaderChecksum } from '../../src-protocol/ipv6-checksum.js';
import { NEXT_HEADER_ICMPV6 } from '../../src-protocol/udp-packet.js';
import { IPV6_HEADER_LENGTH } from '../../src-protocol/tunnel-packet.js';
import type { OpenTun } from '../engine/data-plane.js';

const ECHO_REQUEST = 128;
const ECHO_REPLY = 129;
const ICMP_ECHO_HEADER = 8;
const HOP_LIMIT = 64;

export interface Echo {
  kind: 'request' | 'reply';
  source: Uint8Array;
  destination: Uint8Array;
  id: number;
  seq: number;
}

/** An IPv6 packet carrying one ICMPv6 echo request or reply with `data`. */
export function echoPacket(echo: Echo, data: Uint8Array = new Uint8Array(16)): Uint8Array {
  const icmpLength = ICMP_ECHO_HEADER + data.length;
  const packet = new Uint8Array(IPV6_HEADER_LENGTH + icmpLength);
  const view = new DataView(packet.buffer);
  packet[0] = 6 << 4;
  view.setUint16(4, icmpLength);
  packet[6] = NEXT_HEADER_ICMPV6;
  packet[7] = HOP_LIMIT;
  packet.set(echo.source, 8);
  packet.set(echo.destination, 24);
  const icmp = packet.subarray(IPV6_HEADER_LENGTH);
  icmp[0] = echo.kind === 'request' ? ECHO_REQUEST : ECHO_REPLY;
  view.setUint16(IPV6_HEADER_LENGTH + 4, echo.id);
  view.setUint16(IPV6_HEADER_LENGTH + 6, echo.seq);
  icmp.set(data, ICMP_ECHO_HEADER);
  view.setUint16(
    IPV6_HEADER_LENGTH + 2,
    pseudoHeaderChecksum(echo.source, echo.destination, NEXT_HEADER_ICMPV6, icmp),
  );
  return packet;
}

/** The echo in `packet`, or undefined for anything else (or a checksum a kernel would refuse). */
export function parseEcho(packet: Uint8Array): Echo | undefined {
  if (packet.length < IPV6_HEADER_LENGTH + ICMP_ECHO_HEADER || packet[0]! >> 4 !== 6) return undefined;
  if (packet[6] !== NEXT_HEADER_ICMPV6) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (view.getUint16(4) !== packet.length - IPV6_HEADER_LENGTH) return undefined;
  const type = packet[IPV6_HEADER_LENGTH];
  if (type !== ECHO_REQUEST && type !== ECHO_REPLY) return undefined;
  const source = packet.slice(8, 24);
  const destination = packet.slice(24, 40);
  const icmp = packet.slice(IPV6_HEADER_LENGTH);
  const checksum = view.getUint16(IPV6_HEADER_LENGTH + 2);
  icmp[2] = icmp[3] = 0;
  if (pseudoHeaderChecksum(source, destination, NEXT_HEADER_ICMPV6, icmp) !== checksum) return undefined;
  return {
    kind: type === ECHO_REQUEST ? 'request' : 'reply',
    source,
    destination,
    id: view.getUint16(IPV6_HEADER_LENGTH + 4),
    seq: view.getUint16(IPV6_HEADER_LENGTH + 6),
  };
}

export class MemoryTun {
  /** IPv6 packets the engine wrote to the device, oldest first: what the kernel received. */
  readonly written: Uint8Array[] = [];
  /** How long this device's kernel takes to answer a ping (on the test's clock): a busy machine. */
  answerDelayMs = 0;
  private toEngine: ((packet: Uint8Array) => void) | undefined;
  private address: Uint8Array | undefined;

  readonly open: OpenTun = async (identity, onPacket) => {
    this.address = identity.address;
    this.toEngine = onPacket;
    return {
      name: 'hnet0',
      write: (packet) => this.received(packet.slice()),
      close: async () => {
        this.toEngine = undefined;
      },
    };
  };

  /** A packet the kernel routes into hnet0 (sent by a local program); false while the device is closed. */
  send(packet: Uint8Array): boolean {
    if (!this.toEngine) return false;
    this.toEngine(packet);
    return true;
  }

  private received(packet: Uint8Array): boolean {
    this.written.push(packet);
    const echo = parseEcho(packet);
    const own = this.address;
    const forUs = echo && own && (equalBytes(echo.destination, own) || echo.destination[0] === 0xff);
    if (echo?.kind === 'request' && own && forUs) {
      const answer = () =>
        this.send(echoPacket({ ...echo, kind: 'reply', source: own, destination: echo.source }));
      if (this.answerDelayMs > 0) setTimeout(answer, this.answerDelayMs);
      else setImmediate(answer);
    }
    return true;
  }
}
