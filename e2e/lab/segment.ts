import { runCommand } from './command.js';
import { ipBatch } from './namespaces.js';
import { NetNode, type ProcessRegistry } from './net-node.js';

/** How a node joins a segment: as an ordinary member, or as the router other members route through. */
export type Role = 'member' | 'gateway';

/** A dropped path between two addresses on a segment; `heal()` lets traffic through again. */
export interface Cut {
  heal(): Promise<void>;
}

// Inside the segment's namespace, the one bridge every member's veth is plugged into.
const bridge = 'br0';

/**
 * A layer-2 network (a LAN or "the Internet"): a bridge in its own namespace, so the root
 * namespace never sees lab traffic. Each segment owns one /24 of 198.18.0.0/15 (RFC 2544,
 * reserved for benchmarking, so lab addresses can never be mistaken for real ones).
 */
export class Segment extends NetNode {
  /** e.g. `198.18.2.0/24` */
  readonly subnet: string;
  private readonly network: string;
  private nextMember = 2;
  private gatewayIp: string | undefined;
  private readonly members: NetNode[] = [];
  private cutTable: Promise<unknown> | undefined;

  constructor(name: string, namespace: string, index: number, registry: ProcessRegistry) {
    super(name, namespace, registry);
    if (index < 0 || index > 511) throw new Error('a lab has room for 512 segments (198.18.0.0/15)');
    this.network = `198.${18 + (index >> 8)}.${index & 255}`;
    this.subnet = `${this.network}.0/24`;
  }

  /** Creates the bridge; multicast snooping off so LAN beacons reach every member unasked. */
  async build(): Promise<void> {
    await ipBatch(this.namespace, [
      `link add ${bridge} type bridge mcast_snooping 0`,
      `link set ${bridge} up`,
    ]);
  }

  /**
   * Plugs node into the bridge through a veth pair whose ends are created directly inside the
   * two namespaces, assigns it an address and routes, and returns the address.
   */
  async connect(node: NetNode, ifname: string, role: Role): Promise<string> {
    if (role === 'gateway' && this.gatewayIp !== undefined)
      throw new Error(`segment ${this.name} already has a router`);
    const address = role === 'gateway' ? `${this.network}.1` : this.allocate();
    const port = `p-${node.name}`;
    await runCommand([
      'ip',
      'link',
      'add',
      ifname,
      'netns',
      node.namespace,
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      this.namespace,
    ]);
    await ipBatch(this.namespace, [`link set ${port} master ${bridge}`, `link set ${port} up`]);
    const setup = [`addr add ${address}/24 dev ${ifname}`, `link set ${ifname} up`];
    if (role === 'member') {
      // Without a default route, a member of a router-less segment could not send multicast.
      setup.push(`route add 224.0.0.0/4 dev ${ifname}`);
      if (this.gatewayIp !== undefined) setup.push(`route add default via ${this.gatewayIp}`);
      this.members.push(node);
    }
    await ipBatch(node.namespace, setup);
    if (role === 'gateway') {
      this.gatewayIp = address;
      for (const member of this.members)
        await ipBatch(member.namespace, [`route add default via ${address}`]);
    }
    return address;
  }

  /**
   * Drops every IPv4 packet between a and b (both directions) on this segment's bridge, e.g. to
   * cut the direct path between two NATs' public addresses while the rest keeps working.
   */
  async cut(a: string, b: string): Promise<Cut> {
    this.cutTable ??= this.exec(['nft', '-f', '-'], {
      input: [
        'table bridge hnlab {',
        '  set cuts { type ipv4_addr . ipv4_addr; }',
        '  chain forward { type filter hook forward priority 0; ip saddr . ip daddr @cuts drop; }',
        '}',
      ].join('\n'),
    });
    await this.cutTable;
    const elements = `{ ${a} . ${b}, ${b} . ${a} }`;
    await this.exec(['nft', 'add', 'element', 'bridge', 'hnlab', 'cuts', elements]);
    return {
      heal: () =>
        this.exec(['nft', 'delete', 'element', 'bridge', 'hnlab', 'cuts', elements]).then(() => undefined),
    };
  }

  private allocate(): string {
    if (this.nextMember > 254) throw new Error(`segment ${this.name} is full (253 members)`);
    return `${this.network}.${this.nextMember++}`;
  }
}
