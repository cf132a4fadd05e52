// Heartbeat ping and reply, cleartext: `0x04 ‖ ident(8)` answered by `0x05 ‖ ident(8)` (PROTOCOL.md §3).
// They measure latency over the tunnel; anyone on the path could forge them, so they carry nothing
// but the ident and never change session state.
export const HEARTBEAT_PING = 4;
export const HEARTBEAT_REPLY = 5;
export const HEARTBEAT_LENGTH = 9;
export const HEARTBEAT_IDENT_LENGTH = 8;

export function encodeHeartbeat(
  kind: typeof HEARTBEAT_PING | typeof HEARTBEAT_REPLY,
  ident: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(HEARTBEAT_LENGTH);
  out[0] = kind;
  out.set(ident.subarray(0, HEARTBEAT_IDENT_LENGTH), 1);
  return out;
}
