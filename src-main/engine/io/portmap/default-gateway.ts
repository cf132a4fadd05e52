// The default gateway: the only host the port mapper ever talks to. Read from the kernel's route
// tables (Linux /proc/net/route and /proc/net/ipv6_route) on every attempt, so a laptop that moved
// to another network asks its new router, never the old one.
import { open } from 'node:fs/promises';
import { formatIp } from '../../../../src-protocol/endpoint.js';

export interface Gateway {
  /** IPv4 dotted quad, or IPv6 text (link-local ones need `interfaceName` to mean anything). */
  ip: string;
  interfaceName: string;
}

export interface DefaultGateways {
  ipv4?: Gateway;
  ipv6?: Gateway;
}

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const RTF_REJECT = 0x200;
// A full BGP table would be a hundred MiB; default routes sort first, so the head is enough.
const READ_LIMIT = 256 * 1024;

interface Candidate extends Gateway {
  metric: number;
}

function usableFlags(flags: number): boolean {
  return (flags & (RTF_UP | RTF_GATEWAY)) === (RTF_UP | RTF_GATEWAY) && (flags & RTF_REJECT) === 0;
}

function lowestMetric(candidates: readonly Candidate[]): Gateway | undefined {
  const best = candidates.reduce<Candidate | undefined>(
    (a, b) => (a && a.metric <= b.metric ? a : b),
    undefined,
  );
  return best && { ip: best.ip, interfaceName: best.interfaceName };
}

/**
 * The default route with the lowest metric in /proc/net/route's text. Addresses there are the
 * kernel's 32-bit words in host order, so on the little-endian machines hnet runs on the bytes
 * read backwards: `0101A8C0` is 192.168.1.1.
 */
export function parseIpv4Routes(text: string): Gateway | undefined {
  const candidates: Candidate[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination, gateway, flags, , , metric, mask] = line.trim().split(/\s+/);
    if (!iface || !gateway || !flags || !metric || !mask) continue;
    if (destination !== '00000000' || mask !== '00000000' || !/^[0-9A-Fa-f]{8}$/.test(gateway)) continue;
    if (!usableFlags(parseInt(flags, 16)) || gateway === '00000000') continue;
    const octets = gateway
      .match(/../g)!
      .map((pair) => parseInt(pair, 16))
      .reverse();
    candidates.push({ ip: octets.join('.'), interfaceName: iface, metric: Number(metric) });
  }
  return lowestMetric(candidates);
}

/** The default route with the lowest metric in /proc/net/ipv6_route's text. */
export function parseIpv6Routes(text: string): Gateway | undefined {
  const candidates: Candidate[] = [];
  for (const line of text.split('\n')) {
    const [destination, prefix, , , nextHop, metric, , , flags, iface] = line.trim().split(/\s+/);
    if (!iface || !flags || !metric || !nextHop || iface === 'lo') continue;
    if (!/^0{32}$/.test(destination ?? '') || prefix !== '00' || !/^[0-9a-f]{32}$/i.test(nextHop)) continue;
    if (!usableFlags(parseInt(flags, 16)) || /^0{32}$/.test(nextHop)) continue;
    const bytes = Uint8Array.from(nextHop.match(/../g)!.map((pair) => parseInt(pair, 16)));
    candidates.push({ ip: formatIp(bytes), interfaceName: iface, metric: parseInt(metric, 16) });
  }
  return lowestMetric(candidates);
}

async function readHead(path: string): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(READ_LIMIT);
      const { bytesRead } = await file.read(buffer, 0, READ_LIMIT, 0);
      return buffer.toString('latin1', 0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    // No /proc (another OS) or no such table (IPv6 off): no gateway of that family.
    return '';
  }
}

export async function readDefaultGateways(): Promise<DefaultGateways> {
  const [v4, v6] = await Promise.all([readHead('/proc/net/route'), readHead('/proc/net/ipv6_route')]);
  return { ipv4: parseIpv4Routes(v4), ipv6: parseIpv6Routes(v6) };
}
