import { NetNode, type ProcessRegistry } from './net-node.js';
import { PortMappingDaemon, type PortMappingOptions } from './port-mapping-daemon.js';

/**
 * - `cone`: masquerade. Linux keeps the inner source port whenever no other mapping holds it, so
 *   one socket appears on the same public port to every destination (endpoint-independent
 *   mapping in practice; only when two LAN hosts use the same port towards the same remote does
 *   the second get another port). Inbound is only let through for the exact remote a mapping
 *   was made for (conntrack): address-and-port-dependent filtering, so hole punching needs both
 *   sides to send.
 * - `symmetric`: masquerade random; every new destination gets a different public port.
 * - `udpBlocked`: cone, but UDP forwarded from the LAN is dropped (TCP still passes), like a
 *   network that only allows web traffic.
 *
 * Every mode also firewalls the router itself, as home routers do: new inbound connections from
 * the WAN are dropped. Without that, a peer's HELLO reaching the public port before our side has
 * sent anything leaves a conntrack entry that pushes our later outbound mapping to another port,
 * and two cone NATs could never punch through.
 */
export type NatMode = 'cone' | 'symmetric' | 'udpBlocked';

/** Interface names inside a router's namespace. */
export const wanInterface = 'wan';
export const lanInterface = 'lan';

const table = 'hnlab';

/** The router's whole nftables table for a mode, replacing any previous one atomically. */
export function natRuleset(mode: NatMode): string {
  const masquerade = mode === 'symmetric' ? 'masquerade random' : 'masquerade';
  const forward = mode === 'udpBlocked' ? [`    iifname "${lanInterface}" meta l4proto udp drop`] : [];
  return [
    // Declaring the table first makes the delete valid on the first run too.
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${wanInterface}" ${masquerade}`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    ...forward,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    `    iifname "${wanInterface}" ct state new drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * A NAT router: a namespace forwarding between a LAN segment (as its gateway) and a WAN segment.
 * It can also run miniupnpd, so hosts on its LAN can ask it for port mappings.
 */
export class Router extends NetNode {
  private currentMode: NatMode = 'cone';
  private readonly portMapping: PortMappingDaemon;

  constructor(
    name: string,
    namespace: string,
    registry: ProcessRegistry,
    /** Its address on the WAN segment: what the Internet sees as the source of its LAN's traffic. */
    readonly publicIp: string,
    /** Its address on the LAN segment: the default gateway of the LAN's hosts. */
    readonly lanIp: string,
    /** The LAN segment's subnet, e.g. `198.18.1.0/24`. */
    readonly lanSubnet: string,
  ) {
    super(name, namespace, registry);
    this.portMapping = new PortMappingDaemon(this, { wanInterface, lanInterface, publicIp, lanSubnet });
  }

  get mode(): NatMode {
    return this.currentMode;
  }

  /** Switches NAT behaviour at runtime; existing conntrack entries keep their mappings. */
  async setMode(mode: NatMode): Promise<void> {
    await this.exec(['nft', '-f', '-'], { input: natRuleset(mode) });
    this.currentMode = mode;
  }

  /** Starts miniupnpd here, answering its LAN's PCP, NAT-PMP and/or UPnP IGD requests. */
  startPortMapping(options: PortMappingOptions): Promise<void> {
    return this.portMapping.start(options);
  }

  /** Stops miniupnpd; the forwards it made go too, as when the router is switched off. */
  stopPortMapping(): Promise<void> {
    return this.portMapping.stop();
  }

  /** A reboot as far as port mapping goes: every mapping forgotten, PCP/NAT-PMP epoch from 0. */
  restartPortMapping(): Promise<void> {
    return this.portMapping.restart();
  }

  /** The port forwards miniupnpd holds now, one nft DNAT rule each. */
  portForwards(): Promise<string[]> {
    return this.portMapping.forwards();
  }
}
