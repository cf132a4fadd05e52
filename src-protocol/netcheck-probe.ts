// hnet's netcheck probe, an hnet extension that stock clients and bases never send: a device asks a
// base server over UDP which address and port the datagram arrived from, as STUN does, so it can
// tell whether its NAT keeps one public port for every destination.
//
//   probe   0x68 ‖ "hnetchk1" ‖ txid(12) ‖ zeros, exactly 64 bytes
//   answer  0x69 ‖ "hnetchk1" ‖ txid(12) ‖ observed endpoint(18) ‖ n(1) ‖ n × u16 LE port
//
// The ports are the base's other netcheck ports (same address): a second answer seen through one of
// them shows whether the NAT changed the mapping. Unauthenticated like STUN, so an answer is never
// longer than its probe (no amplification) and says nothing but what the sender could see itself.
import { ByteReader } from './bytes.js';
import { ENDPOINT_LENGTH, encodeEndpoint, readEndpoint, type Endpoint } from './endpoint.js';
import { fail, ok, type Result } from './result.js';

export const NETCHECK_PROBE_KIND = 0x68;
export const NETCHECK_ANSWER_KIND = 0x69;
export const NETCHECK_PROBE_LENGTH = 64;
export const NETCHECK_TXID_LENGTH = 12;
/** Ports an answer may name; with them it stays shorter than the probe. */
export const MAX_NETCHECK_PORTS = 4;

const MAGIC = new TextEncoder().encode('hnetchk1');
const HEADER_LENGTH = 1 + MAGIC.length;

export interface NetcheckAnswer {
  txid: Uint8Array;
  /** The probe's source as the base saw it. */
  observed: Endpoint;
  /** Other UDP ports of the base's that answer probes. */
  ports: number[];
}

function hasHeader(packet: Uint8Array, kind: number): boolean {
  if (packet[0] !== kind || packet.length < HEADER_LENGTH) return false;
  for (let i = 0; i < MAGIC.length; i++) if (packet[1 + i] !== MAGIC[i]) return false;
  return true;
}

export function encodeNetcheckProbe(txid: Uint8Array): Result<Uint8Array> {
  if (txid.length !== NETCHECK_TXID_LENGTH)
    return fail('BadLength', `A netcheck transaction id is ${NETCHECK_TXID_LENGTH} bytes.`);
  const out = new Uint8Array(NETCHECK_PROBE_LENGTH);
  out[0] = NETCHECK_PROBE_KIND;
  out.set(MAGIC, 1);
  out.set(txid, HEADER_LENGTH);
  return ok(out);
}

/** The probe's transaction id (a view into `packet`), or undefined when it is not a probe. */
export function netcheckProbeTxid(packet: Uint8Array): Uint8Array | undefined {
  if (packet.length !== NETCHECK_PROBE_LENGTH || !hasHeader(packet, NETCHECK_PROBE_KIND)) return undefined;
  return packet.subarray(HEADER_LENGTH, HEADER_LENGTH + NETCHECK_TXID_LENGTH);
}

export function encodeNetcheckAnswer(answer: NetcheckAnswer): Result<Uint8Array> {
  if (answer.txid.length !== NETCHECK_TXID_LENGTH)
    return fail('BadLength', `A netcheck transaction id is ${NETCHECK_TXID_LENGTH} bytes.`);
  if (answer.ports.length > MAX_NETCHECK_PORTS)
    return fail('TooLong', `A netcheck answer names at most ${MAX_NETCHECK_PORTS} ports.`);
  if (answer.ports.some((port) => !Number.isInteger(port) || port < 1 || port > 0xffff))
    return fail('BadFormat', 'A netcheck answer names UDP ports 1 to 65535.');
  const observed = encodeEndpoint(answer.observed);
  if (!observed.ok) return observed;
  const out = new Uint8Array(
    HEADER_LENGTH + NETCHECK_TXID_LENGTH + ENDPOINT_LENGTH + 1 + 2 * answer.ports.length,
  );
  out[0] = NETCHECK_ANSWER_KIND;
  out.set(MAGIC, 1);
  let at = HEADER_LENGTH;
  out.set(answer.txid, at);
  at += NETCHECK_TXID_LENGTH;
  out.set(observed.value, at);
  at += ENDPOINT_LENGTH;
  out[at++] = answer.ports.length;
  for (const port of answer.ports) {
    out[at++] = port & 0xff;
    out[at++] = port >> 8;
  }
  return ok(out);
}

/** The txid is a view into `packet`. */
export function decodeNetcheckAnswer(packet: Uint8Array): Result<NetcheckAnswer> {
  if (!hasHeader(packet, NETCHECK_ANSWER_KIND)) return fail('BadKind', 'Not a netcheck answer.');
  const reader = new ByteReader(packet.subarray(HEADER_LENGTH));
  const txid = reader.take(NETCHECK_TXID_LENGTH);
  if (!txid) return fail('Truncated', 'A netcheck answer carries a transaction id.');
  const observed = readEndpoint(reader);
  if (!observed.ok) return observed;
  const count = reader.u8();
  if (count === undefined || count > MAX_NETCHECK_PORTS)
    return fail('BadFormat', `A netcheck answer names 0 to ${MAX_NETCHECK_PORTS} ports.`);
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const port = reader.u16le();
    if (port === undefined) return fail('Truncated', 'A netcheck answer ends inside its port list.');
    ports.push(port);
  }
  if (reader.remaining > 0) return fail('BadLength', 'A netcheck answer has bytes after its port list.');
  return ok({ txid, observed: observed.value, ports });
}
