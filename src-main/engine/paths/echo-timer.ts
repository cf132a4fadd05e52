// Round trips of the pings users send a peer through the tunnel. A heartbeat is answered by the
// far engine the moment it arrives; a ping also crosses the peer's TUN device and IP stack and
// comes back through its engine, so on a busy machine the two differ by more than the status may
// (issue 22: within 20 % or 0.2 ms of ping). While someone pings, the status shows what their
// pings took; heartbeats fill in the rest of the time. The native lane keeps the same book for
// the packets it carries (native/src/echo-timer.h); this one serves the packets JavaScript sends.
//
// Pure: tunnel packets (nextHeader ‖ payload, PROTOCOL.md §4) and times in, round trips out.

const ICMPV6 = 58;
const ECHO_REQUEST = 128;
const ECHO_REPLY = 129;
/** Type, code, checksum, identifier, sequence number (RFC 4443 §4.1). */
const ECHO_HEADER_BYTES = 8;
/** Requests remembered at once: a flood ping's replies may come back well behind its requests. */
const ECHOES_OUTSTANDING = 8;

/** The identifier and sequence number of an echo `kind` in a tunnel packet, as one number. */
function echoKey(tunnel: Uint8Array, kind: number): number | undefined {
  if (tunnel.length < 1 + ECHO_HEADER_BYTES || tunnel[0] !== ICMPV6 || tunnel[1] !== kind) return undefined;
  return ((tunnel[5]! << 24) | (tunnel[6]! << 16) | (tunnel[7]! << 8) | tunnel[8]!) >>> 0;
}

export class EchoTimer {
  private readonly keys = new Array<number>(ECHOES_OUTSTANDING).fill(-1);
  private readonly sentAt = new Array<number>(ECHOES_OUTSTANDING).fill(0);
  private next = 0;

  /** A tunnel packet on its way to the peer: remembered when it is an echo request. */
  sent(tunnel: Uint8Array, now: number): void {
    const key = echoKey(tunnel, ECHO_REQUEST);
    if (key === undefined) return;
    this.keys[this.next] = key;
    this.sentAt[this.next] = now;
    this.next = (this.next + 1) % ECHOES_OUTSTANDING;
  }

  /**
   * A tunnel packet from the peer: the round trip of the request it answers, once. `now` is asked
   * only then, so other packets cost no clock read.
   */
  answered(tunnel: Uint8Array, now: () => number): number | undefined {
    const key = echoKey(tunnel, ECHO_REPLY);
    if (key === undefined) return undefined;
    const slot = this.keys.indexOf(key);
    if (slot < 0) return undefined;
    this.keys[slot] = -1;
    return now() - this.sentAt[slot]!;
  }
}
