// The Host names the dashboard answers to. A page on another site can make a browser send requests
// to the dashboard, and DNS rebinding can make its own name resolve to the dashboard's address, so
// that its scripts read the answers as same-origin. The browser still sends that name as Host, so
// answering only our own names closes the door: the addresses we are bound to (every local address
// for a wildcard bind), localhost for a loopback or wildcard bind, the addresses and dashboard URL
// we advertise, and names the operator gave.
import { networkInterfaces } from 'node:os';
import { formatIp, parseIp } from '../../src-protocol/endpoint.js';

/** How long a look at the machine's own addresses is trusted, for a wildcard bind. */
const INTERFACES_FRESH_MS = 2000;
const WILDCARDS = new Set(['0.0.0.0', '::']);

/** A name or IP as compared: lower case, no trailing dot, IPs in one spelling, no brackets. */
function canonical(name: string): string {
  const bare = name
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  const ip = parseIp(bare);
  return ip ? formatIp(ip) : bare;
}

/** The name in a Host header, without its port; undefined when it is not a plausible name. */
export function hostName(header: string | undefined): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/@]+)(?::\d{1,5})?$/.exec(header?.trim() ?? '');
  return match ? canonical(match[1]!) : undefined;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

export class AllowedHosts {
  private readonly fixed: ReadonlySet<string>;
  private readonly wildcard: boolean;
  private local: { names: ReadonlySet<string>; at: number } | undefined;

  /**
   * @param bind the address the dashboard listens on
   * @param names further names and addresses it is reached at (advertised, or given by the operator)
   */
  constructor(
    bind: string,
    names: readonly string[],
    private readonly addresses: () => string[] = ownAddresses,
  ) {
    const ip = canonical(bind);
    this.wildcard = WILDCARDS.has(ip);
    const fixed = new Set(names.map(canonical));
    if (this.wildcard || isLoopback(ip)) fixed.add('localhost');
    if (this.wildcard) fixed.add('127.0.0.1').add('::1');
    else fixed.add(ip);
    this.fixed = fixed;
  }

  allows(header: string | undefined): boolean {
    const name = hostName(header);
    if (name === undefined) return false;
    if (this.fixed.has(name)) return true;
    return this.wildcard && parseIp(name) !== undefined && this.localNames().has(name);
  }

  private localNames(): ReadonlySet<string> {
    const now = Date.now();
    if (!this.local || now - this.local.at > INTERFACES_FRESH_MS)
      this.local = { names: new Set(this.addresses().map(canonical)), at: now };
    return this.local.names;
  }
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}
