// How a joined network reads in the Networks view. Pure, so it is unit-tested.
import type { NetworkStatus } from '../../../../src-main/engine/status.js';

export interface NetworkView {
  /** "Joined as laptop" or "Joining as laptop". */
  heading: string;
  /** Where the network is managed from. */
  managedBy: string;
  /** What the device is doing, or what websetup looks after here. */
  detail: string;
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export function describeNetwork(network: NetworkStatus): NetworkView {
  const { addresses, hostnames } = network.managed;
  return {
    heading: `${network.state === 'joining' ? 'Joining' : 'Joined'} as ${network.hostname}`,
    managedBy: network.server
      ? `websetup ${network.websetup} of ${network.server}`
      : `websetup ${network.websetup}`,
    detail:
      network.state === 'joining'
        ? 'Waiting for the server to accept the join code; this device asks again every 5 seconds.'
        : `It looks after ${count(addresses, 'whitelist entry', 'whitelist entries')} and ${count(hostnames, 'name', 'names')} here; leaving removes them and keeps your own.`,
  };
}
