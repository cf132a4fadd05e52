// The Internet checksum over IPv6's pseudo-header (RFC 8200 §8.1) and an upper-layer payload whose
// checksum field is zero: UDP and ICMPv6 both use it.
export function pseudoHeaderChecksum(
  source: Uint8Array,
  destination: Uint8Array,
  nextHeader: number,
  payload: Uint8Array,
): number {
  let sum = 0;
  const add = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  };
  add(source);
  add(destination);
  sum += payload.length + nextHeader;
  add(payload);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
