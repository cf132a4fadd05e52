// The hnet-server command line for "Host a server on this machine". Without root the stack moves to
// ports above 1024; as root it takes the standard ones. Either way the base's UDP port is not 5582:
// the engine on this same machine already holds that one.
import { formatEndpoint } from '../../src-protocol/endpoint.js';

export interface LocalStackPorts {
  /** Dashboard and license.json. */
  http: number;
  /** Base server, TCP: devices register here. */
  baseTcp: number;
  /** Base server, UDP: NAT traversal and relay. */
  baseUdp: number;
  /** The first port the websetup node tries for its overlay traffic. */
  websetupUdp: number;
}

export const STANDARD_PORTS: LocalStackPorts = { http: 80, baseTcp: 443, baseUdp: 5584, websetupUdp: 5583 };
/** Above 1024, clear of hnet's own 5581 (LAN beacons) and 5582 (the engine). */
export const UNPRIVILEGED_PORTS: LocalStackPorts = {
  http: 5580,
  baseTcp: 5443,
  baseUdp: 5584,
  websetupUdp: 5583,
};

export interface LocalStackPlan {
  /** Keys, identities and the database, in the user's data directory. */
  stateDir: string;
  /** The IP devices reach this machine at. */
  advertise: string;
  /** Root (or a capability to bind low ports) gets the standard ports. */
  privileged: boolean;
  /** The server name users see, e.g. this machine's host name. */
  name: string;
}

export const portsFor = (privileged: boolean): LocalStackPorts =>
  privileged ? STANDARD_PORTS : UNPRIVILEGED_PORTS;

/** hnet-server's arguments: the whole stack on every interface, advertising `plan.advertise`. */
export function localStackArgs(plan: LocalStackPlan): string[] {
  const ports = portsFor(plan.privileged);
  // Every interface of the advertised address's family, so other devices reach it.
  const wildcard = plan.advertise.includes(':') ? '::' : '0.0.0.0';
  const any = (port: number) => formatEndpoint({ ip: wildcard, port });
  return [
    '--state-dir',
    plan.stateDir,
    '--public-ip',
    plan.advertise,
    '--name',
    plan.name,
    '--http',
    any(ports.http),
    '--tcp',
    any(ports.baseTcp),
    '--udp',
    any(ports.baseUdp),
    '--websetup-udp',
    String(ports.websetupUdp),
    '--no-metrics',
  ];
}
