// The address a server hosted on this machine tells other devices to reach it at: the machine's
// address on the interface its default route leaves by (where other devices most likely see it),
// else the first address that is neither loopback, link-local nor the hnet overlay itself (a
// server reached through the overlay would be needed to join the overlay).
import { readFile } from 'node:fs/promises';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isOverlayAddress, parseIpv6 } from '../../src-protocol/address.js';

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const ROUTE_TABLE = '/proc/net/route';
const IPV6_ROUTE_TABLE = '/proc/net/ipv6_route';

/**
 * The interface of the default route with the lowest metric, from /proc/net/route (IPv4) or, when
 * that has none, /proc/net/ipv6_route.
 */
export function defaultRouteInterface(routeTable: string, ipv6RouteTable = ''): string | undefined {
  // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask …, hex, one header line.
  const v4 = routeTable
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[1] === '00000000' && f[7] === '00000000')
    .map((f) => ({ name: f[0]!, metric: Number(f[6]) }));
  // /proc/net/ipv6_route: dest destlen src srclen nexthop metric refcnt use flags iface (hex).
  const v6 = ipv6RouteTable
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 10 && /^0{32}$/.test(f[0]!) && f[1] === '00' && f[9] !== 'lo')
    .map((f) => ({ name: f[9]!, metric: parseInt(f[5]!, 16) }));
  const routes = v4.length > 0 ? v4 : v6;
  return routes.sort((a, b) => a.metric - b.metric)[0]?.name;
}

function usable(info: NetworkInterfaceInfo): boolean {
  if (info.internal) return false;
  if (info.family === 'IPv4') return !info.address.startsWith('169.254.');
  const ip = parseIpv6(info.address);
  return ip !== undefined && !isOverlayAddress(ip) && !/^fe[89ab]/i.test(info.address);
}

/** IPv4 before IPv6 on one interface: stock daemons and most home networks reach IPv4. */
function firstUsable(infos: readonly NetworkInterfaceInfo[]): string | undefined {
  const candidates = infos.filter(usable);
  return (candidates.find((i) => i.family === 'IPv4') ?? candidates[0])?.address;
}

export function chooseAdvertisedAddress(
  interfaces: Interfaces,
  routeInterface: string | undefined,
): string | undefined {
  const onRoute = routeInterface ? firstUsable(interfaces[routeInterface] ?? []) : undefined;
  if (onRoute) return onRoute;
  for (const infos of Object.values(interfaces)) {
    const address = firstUsable(infos ?? []);
    if (address) return address;
  }
  return undefined;
}

const readOrEmpty = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');

/**
 * This machine's advertised address, or undefined when it has no usable one, or none can be read
 * (networkInterfaces() throws when the process has no file descriptor left).
 */
export async function detectAdvertisedAddress(): Promise<string | undefined> {
  const [v4, v6] = await Promise.all([readOrEmpty(ROUTE_TABLE), readOrEmpty(IPV6_ROUTE_TABLE)]);
  let interfaces: Interfaces;
  try {
    interfaces = networkInterfaces();
  } catch {
    return undefined;
  }
  return chooseAdvertisedAddress(interfaces, defaultRouteInterface(v4, v6));
}
