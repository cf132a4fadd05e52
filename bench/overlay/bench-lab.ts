import type { Cut, Host, Lab, NatMode, NetNode, Router, Segment } from '../../e2e/lab/index.js';
import { iperfPort } from './measure.js';

/**
 * Two hosts an overlay connects, and what a benchmark needs to know about the path between them.
 * Every figure is measured from `a` towards `b`.
 */
export interface HostPair {
  /** How the table names the path, e.g. `through cone NATs`. */
  readonly path: string;
  readonly a: Host;
  readonly b: Host;
  /**
   * Where the other side reaches `host` on the underlay: its LAN address, or its NAT's public
   * address. What an overlay without discovery (wireguard) lists as the peer's endpoint.
   */
  endpointOf(host: Host): string;
  /**
   * Where a reaches b on the bare underlay: b's own address, or its NAT's public address, which
   * forwards ping and iperf3 (only those) to b, so the reference crosses the same hops.
   */
  readonly underlay: { readonly node: NetNode; readonly ip: string };
  /** Drops the direct a ↔ b path on the underlay while everything else keeps working. */
  cutDirect(): Promise<Cut>;
}

/** The benchmark's one lab: every row of a run is measured on these namespaces. */
export interface BenchLab {
  /** "The Internet": where a base server goes. */
  readonly internet: Segment;
  /** Both hosts on one home LAN behind one cone NAT (so a base on the Internet is reachable too). */
  readonly sameLan: HostPair;
  /** Each host behind a cone NAT of its own. */
  readonly coneNats: HostPair;
  /** Each host behind a NAT of the given mode; adds four namespaces to the lab per call. */
  natPair(name: string, mode: NatMode): Promise<HostPair>;
}

/** A port forward on the router for echo requests and the iperf3 port, as a user would set up. */
async function forwardMeasurementsTo(router: Router, host: Host): Promise<void> {
  await router.exec(['nft', '-f', '-'], {
    input: [
      'table ip hnbench {',
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    iifname "wan" tcp dport ${iperfPort} dnat to ${host.ip}`,
      `    iifname "wan" icmp type echo-request dnat to ${host.ip}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
}

export async function buildBenchLab(lab: Lab): Promise<BenchLab> {
  const internet = await lab.segment('inet');
  const home = await lab.segment('home');
  await lab.router('homenat', { wan: internet, lan: home, mode: 'cone' });
  const a = await lab.host('a', { on: home });
  const b = await lab.host('b', { on: home });
  const sameLan: HostPair = {
    path: 'same LAN',
    a,
    b,
    endpointOf: (host) => host.ip,
    underlay: { node: b, ip: b.ip },
    cutDirect: () => home.cut(a.ip, b.ip),
  };

  const natPair = async (name: string, mode: NatMode): Promise<HostPair> => {
    const [lanA, lanB] = [await lab.segment(`${name}la`), await lab.segment(`${name}lb`)];
    const natA = await lab.router(`${name}na`, { wan: internet, lan: lanA, mode });
    const natB = await lab.router(`${name}nb`, { wan: internet, lan: lanB, mode });
    // As at home: unsolicited packets from the Internet are dropped, so an early handshake that
    // arrives before the other side has sent leaves no conntrack entry to move its mapping.
    const hostA = await lab.host(`${name}a`, { on: lanA });
    const hostB = await lab.host(`${name}b`, { on: lanB });
    await forwardMeasurementsTo(natB, hostB);
    const publicIp = new Map([
      [hostA, natA.publicIp],
      [hostB, natB.publicIp],
    ]);
    return {
      path: `through ${mode} NATs`,
      a: hostA,
      b: hostB,
      endpointOf: (host) => {
        const ip = publicIp.get(host);
        if (ip === undefined) throw new Error(`${host.name} is not one of the pair ${name}`);
        return ip;
      },
      underlay: { node: hostB, ip: natB.publicIp },
      cutDirect: () => internet.cut(natA.publicIp, natB.publicIp),
    };
  };

  return { internet, sameLan, coneNats: await natPair('cone', 'cone'), natPair };
}
