// How a joined network reads in the Networks view: its name, this device's name in it, who else is in
// it and what leaving takes away. Pure, so it is unit-tested.
import type { JoinResult } from '../../../../src-main/contract/control-calls.js';
import type { NetworkStatus, PeerStatus } from '../../../../src-main/contract/status.js';
import { whyRenamed } from '../../../../src-main/contract/names.js';
import { sentence } from '../../lib/format.js';

export interface NetworkView {
  /** The network's name from the dashboard ("home lab"), or a stand-in while websetup has not said. */
  name: string;
  /** "Joined as laptop", "Joining as laptop" or "Join refused". */
  heading: string;
  /** Where the network is managed from. */
  managedBy: string;
  /** What the device is doing, why it was refused, or what websetup looks after here. */
  detail: string;
  tone: 'good' | 'warn' | 'bad';
}

export interface Member {
  address: string;
  /** Its name here, or its address when it has none. */
  name: string;
  reach: PeerStatus['reach'];
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export function describeNetwork(network: NetworkStatus): NetworkView {
  const { addresses, hostnames } = network.managed;
  const names = network.names ?? [];
  const managedBy = network.server
    ? `websetup ${network.websetup} of ${network.server}`
    : `websetup ${network.websetup}`;
  const name =
    names.length > 0
      ? names.join(', ')
      : network.state === 'refused'
        ? 'No network'
        : 'Network without a name yet';
  switch (network.state) {
    case 'refused':
      return {
        name,
        heading: 'Join refused',
        managedBy,
        detail: `${sentence(network.refusal ?? 'the server does not take this join code')} This device stopped asking; get a new code from the dashboard.`,
        tone: 'bad',
      };
    case 'joining':
      return {
        name,
        heading: `Joining as ${network.hostname}`,
        managedBy,
        detail: 'Waiting for the server to accept the join code; this device asks again every 5 seconds.',
        tone: 'warn',
      };
    case 'joined':
      return {
        name,
        heading: `Joined as ${network.hostname}`,
        managedBy,
        detail: `It looks after ${count(addresses, 'whitelist entry', 'whitelist entries')} and ${count(hostnames, 'name', 'names')} here; leaving removes them and keeps your own.`,
        tone: 'good',
      };
  }
}

/** The other devices of the network: every peer but its websetup node, named where it has a name. */
export function networkMembers(network: NetworkStatus, peers: readonly PeerStatus[]): Member[] {
  return peers
    .filter((peer) => peer.address !== network.websetup)
    .map((peer) => ({ address: peer.address, name: peer.hostname ?? peer.address, reach: peer.reach }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What the window says once joined: the name given (and why, if not the one asked for) and the network. */
export function joinedSentence(result: JoinResult): string {
  const why = whyRenamed(result.requested, result.hostname, (name) => `“${name}”`);
  const renamed = why ? ` (${why})` : '';
  const networks = result.networks.map((name) => `“${name}”`).join(', ');
  return `Joined as ${result.hostname}${renamed}${networks ? ` in ${networks}` : ''}. Its devices appear under Peers.`;
}
