// This machine's own underlay addresses: what INFO tells the base (PROTOCOL.md §5) and where LAN
// beacons go (§6). Never loopback (stock clients wrongly advertise 127.0.0.1), never the overlay
// device itself, whose traffic would loop back into the tunnel.
import { networkInterfaces } from 'node:os';
import { isUsableEndpoint, makeEndpoint, parseIp, type Endpoint } from '../../../src-protocol/endpoint.js';
import { errorText } from '../../contract/errors.js';
import type { Logger } from '../log.js';

export interface LocalAddress {
  interfaceName: string;
  family: 'IPv4' | 'IPv6';
  ip: string;
  /** Set for IPv6 link-local addresses, which only mean something with their interface. */
  scopeId: number;
  /** The on-link subnet's prefix length (24 for a /24). */
  prefixLength: number;
}

/** Where the engine reads its addresses: `localAddresses` below, or a test network's (src-main/testnet). */
export type LocalAddressSource = (log?: Logger) => LocalAddress[];

const OVERLAY_INTERFACE = /^hnet/;

// The machine's addresses as last read. Reading them needs a netlink socket, i.e. a free file
// descriptor: when the process has none left (EMFILE), networkInterfaces() throws, and the
// addresses of a moment ago are a far better answer than a crash.
let lastKnown: LocalAddress[] = [];
let unreadableLogged = false;

/**
 * This machine's addresses; while they cannot be read, the last ones that could. Only callers
 * that pass `log` report it: one line when reading fails, one when it works again.
 */
export function localAddresses(log?: Logger): LocalAddress[] {
  let interfaces: ReturnType<typeof networkInterfaces>;
  try {
    interfaces = networkInterfaces();
  } catch (error) {
    if (log && !unreadableLogged) {
      log.warn('interfaces-unreadable', { reason: errorText(error), using: 'the addresses read last' });
      unreadableLogged = true;
    }
    return lastKnown;
  }
  if (log && unreadableLogged) {
    log.info('interfaces-readable-again');
    unreadableLogged = false;
  }
  lastKnown = addressesOf(interfaces);
  return lastKnown;
}

function addressesOf(interfaces: ReturnType<typeof networkInterfaces>): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [interfaceName, entries] of Object.entries(interfaces)) {
    if (OVERLAY_INTERFACE.test(interfaceName)) continue;
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      const prefixLength = Number(entry.cidr?.split('/')[1] ?? (entry.family === 'IPv4' ? 32 : 128));
      out.push({
        interfaceName,
        family: entry.family,
        ip: entry.address,
        scopeId: entry.scopeid ?? 0,
        prefixLength,
      });
    }
  }
  return out;
}

/** The endpoints a peer elsewhere could reach us at, all on our UDP port. */
export function advertisedEndpoints(addresses: readonly LocalAddress[], port: number): Endpoint[] {
  const out: Endpoint[] = [];
  for (const address of addresses) {
    const endpoint = makeEndpoint(address.ip, port);
    if (endpoint.ok && isUsableEndpoint(endpoint.value)) out.push(endpoint.value);
  }
  return out;
}

/**
 * Whether `ip` sits on one of our subnets, i.e. a neighbour on the same link. LANs are not always
 * RFC 1918 (campus networks, our lab's 198.18.0.0/15), and a neighbour is exactly what a LAN
 * beacon is meant to find.
 */
export function isOnLink(ip: string, addresses: readonly LocalAddress[]): boolean {
  const target = parseIp(ip);
  if (!target) return false;
  return addresses.some((address) => {
    const own = parseIp(address.ip);
    if (!own) return false;
    // Both are 16-byte wire forms; an IPv4 prefix counts from byte 12.
    const bits = address.family === 'IPv4' ? 96 + address.prefixLength : address.prefixLength;
    if (bits >= 128 && address.family === 'IPv4') return false;
    for (let bit = 0; bit < bits; bit++) {
      const mask = 0x80 >> (bit % 8);
      if ((own[bit >> 3]! & mask) !== (target[bit >> 3]! & mask)) return false;
    }
    return true;
  });
}

/** A cheap fingerprint to notice that addresses changed (a new DHCP lease, a cable plugged in). */
export function addressesKey(addresses: readonly LocalAddress[]): string {
  return addresses
    .map((a) => `${a.interfaceName}/${a.ip}`)
    .sort()
    .join(',');
}
