// A lab router's port-mapping daemon: miniupnpd from Debian's miniupnpd-nftables, the real thing
// home routers run, configured per router and answering PCP, NAT-PMP and/or UPnP IGD on its LAN.
// Its config lives in /etc/netns/<namespace>/miniupnpd/, gone with the namespace.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { givePrivateEtcDir } from './namespaces.js';
import type { NetNode } from './net-node.js';
import type { LabProcess } from './process.js';

/**
 * What a lab router answers. miniupnpd serves PCP and NAT-PMP on one socket and cannot turn one
 * off, so a router with only one of them drops the other's packets (by version byte) at its input,
 * as a router that does not speak it would ignore them.
 */
export interface PortMappingOptions {
  readonly pcp?: boolean;
  readonly natPmp?: boolean;
  readonly upnp?: boolean;
  /**
   * The longest PCP lease it grants (miniupnpd's max_lifetime; 86400 by default). A short one makes
   * clients renew often, so a test sees a restart noticed in seconds, as a real one does in minutes.
   */
  readonly maxLeaseSeconds?: number;
}

/** Where the router sits: its interfaces by name, its public address, the LAN it serves. */
export interface RouterSides {
  readonly wanInterface: string;
  readonly lanInterface: string;
  readonly publicIp: string;
  /** e.g. 198.18.1.0/24: the hosts allowed to ask for mappings. */
  readonly lanSubnet: string;
}

const miniupnpd = '/usr/sbin/miniupnpd';
const stunPort = 3478;
// Inside the router's namespace, `ip netns exec` shows /etc/netns/<ns>/miniupnpd/ here.
const confDir = '/etc/miniupnpd';
const table = 'miniupnpd';

/**
 * miniupnpd-nftables adds its rules to chains it expects to exist (it never creates them): a
 * filter chain jumped to from forward, and DNAT/SNAT chains jumped to from prerouting/postrouting,
 * all in one `inet` table here. Its postrouting runs just before the router's own masquerade so a
 * mapping's SNAT, when it adds one, wins. The table is replaced whole, so a restart starts empty,
 * as after a reboot.
 */
export function miniupnpdRuleset(options: PortMappingOptions, sides: RouterSides): string {
  const dropVersion =
    options.pcp && !options.natPmp ? '!= 2' : !options.pcp && options.natPmp ? '2' : undefined;
  const input =
    dropVersion === undefined
      ? []
      : [
          '  chain input {',
          '    type filter hook input priority filter - 1; policy accept;',
          `    iifname "${sides.lanInterface}" udp dport 5351 @th,64,8 ${dropVersion} drop`,
          '  }',
        ];
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '  chain miniupnpd {',
    '  }',
    '  chain prerouting_miniupnpd {',
    '  }',
    '  chain postrouting_miniupnpd {',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    jump miniupnpd',
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    jump prerouting_miniupnpd',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat - 1; policy accept;',
    '    jump postrouting_miniupnpd',
    '  }',
    ...input,
    '}',
    '',
  ].join('\n');
}

/**
 * miniupnpd refuses to map on a WAN address in a reserved range, and the lab's 198.18.0.0/15 is
 * one (RFC 2544). It believes a STUN server that sees its WAN address unchanged (no NAT above),
 * so the router asks one running inside itself (ext_perform_stun).
 */
export function miniupnpdConfig(options: PortMappingOptions, sides: RouterSides): string {
  const yes = (on: boolean | undefined) => (on ? 'yes' : 'no');
  return [
    `ext_ifname=${sides.wanInterface}`,
    `listening_ip=${sides.lanInterface}`,
    'http_port=0',
    `enable_natpmp=${yes(options.pcp || options.natPmp)}`,
    `enable_upnp=${yes(options.upnp)}`,
    'secure_mode=yes',
    'ext_perform_stun=yes',
    `ext_stun_host=${sides.publicIp}`,
    `ext_stun_port=${stunPort}`,
    `upnp_table_name=${table}`,
    `upnp_nat_table_name=${table}`,
    `uuid=${randomUUID()}`,
    ...(options.maxLeaseSeconds ? ['min_lifetime=1', `max_lifetime=${options.maxLeaseSeconds}`] : []),
    `allow 1024-65535 ${sides.lanSubnet} 1024-65535`,
    'deny 0-65535 0.0.0.0/0 0-65535',
    '',
  ].join('\n');
}

/** A line miniupnpd prints once it can answer what it was asked to. */
function readyLine(options: PortMappingOptions): RegExp {
  return options.pcp || options.natPmp
    ? /Listening for NAT-PMP\/PCP traffic on port 5351/
    : /HTTP listening on port \d+/;
}

/** miniupnpd (Debian's miniupnpd-nftables) in one router, with the STUN server it asks. */
export class PortMappingDaemon {
  private daemon: LabProcess | undefined;
  private stun: LabProcess | undefined;
  private options: PortMappingOptions = {};

  constructor(
    private readonly router: NetNode,
    private readonly sides: RouterSides,
  ) {}

  async start(options: PortMappingOptions): Promise<void> {
    if (this.daemon) throw new Error(`${this.router.name} already runs miniupnpd; stop it first`);
    if (!existsSync(miniupnpd))
      throw new Error(
        `${miniupnpd} is missing: apt-get install miniupnpd-nftables (scripts/quickstart.sh test does)`,
      );
    this.options = options;
    await this.router.exec(['nft', '-f', '-'], { input: miniupnpdRuleset(options, this.sides) });
    givePrivateEtcDir(this.router.namespace, 'miniupnpd', {
      'miniupnpd.conf': miniupnpdConfig(options, this.sides),
    });
    if (!this.stun) {
      this.stun = this.router.spawnScript('e2e/lab/fixtures/stun-responder.ts', [String(stunPort)]);
      await this.stun.waitForOutput(/ready/);
    }
    // -d keeps it in the foreground, logging to stderr, which joins stdout to be waited on.
    const daemon = this.router.spawn([
      'sh',
      '-c',
      'exec "$0" "$@" 2>&1',
      miniupnpd,
      '-d',
      '-f',
      `${confDir}/miniupnpd.conf`,
      '-P',
      `${confDir}/miniupnpd.pid`,
    ]);
    this.daemon = daemon;
    try {
      await daemon.waitForOutput(/Port forwarding is now enabled/);
      await daemon.waitForOutput(readyLine(options));
    } catch (error) {
      throw new Error(
        `miniupnpd in ${this.router.name} did not come up: ${(error as Error).message}\n${daemon.stdout}`,
      );
    }
  }

  /** Stops miniupnpd and empties its chains, as a reboot would; the STUN server stays. */
  async stop(): Promise<void> {
    const daemon = this.daemon;
    this.daemon = undefined;
    await daemon?.stop();
    await this.router.exec(['nft', '-f', '-'], { input: miniupnpdRuleset(this.options, this.sides) });
  }

  /** A router reboot as far as port mapping goes: every mapping forgotten, epoch from 0. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.options);
  }

  /** The port forwards miniupnpd has in place now, one nft rule each. */
  async forwards(): Promise<string[]> {
    const { stdout } = await this.router.exec([
      'nft',
      'list',
      'chain',
      'inet',
      table,
      'prerouting_miniupnpd',
    ]);
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.includes('dnat'));
  }

  /** What miniupnpd logged, for a failing test's message. */
  get log(): string {
    return this.daemon?.stdout ?? '';
  }
}
