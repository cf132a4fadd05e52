// What websetup must tell one device so that its whitelist, host table and name match the dashboard.
// State on both sides is a set of entries (text, so the store can keep what a device confirmed):
//   `whitelist <address>`   `host <address> <hostname>`   `hostname <own name>`
// Additions go out whitelist first (a host name for a peer it cannot reach is useless), removals
// host first; a renamed device gets `set-hostname`, which has no removal of its own.
import { parseOverlayAddress } from '../../src-protocol/address.js';
import type { WebsetupCommand } from '../../src-protocol/websetup-messages.js';

export interface DesiredState {
  peers: readonly { address: string; hostname: string }[];
  hostname: string;
}

/** A command and the entry change it makes once the device confirms it. */
export interface PlannedPush {
  command: WebsetupCommand;
  entry: string;
  present: boolean;
  /** An earlier entry the confirmation retires (a device has one own name at a time). */
  replaces?: string;
}

export const whitelistEntry = (address: string): string => `whitelist ${address}`;
export const hostEntry = (address: string, hostname: string): string => `host ${address} ${hostname}`;
export const hostnameEntry = (hostname: string): string => `hostname ${hostname}`;

export function desiredEntries(state: DesiredState): Set<string> {
  const entries = new Set([hostnameEntry(state.hostname)]);
  for (const peer of state.peers) {
    entries.add(whitelistEntry(peer.address));
    entries.add(hostEntry(peer.address, peer.hostname));
  }
  return entries;
}

function commandFor(entry: string, present: boolean): WebsetupCommand | undefined {
  const [kind, first, second] = entry.split(' ');
  if (kind === 'hostname' && first && present) return { kind: 'set-hostname', hostname: first };
  const address = first === undefined ? undefined : parseOverlayAddress(first);
  if (!address) return undefined;
  if (kind === 'whitelist') return { kind: present ? 'whitelist-add' : 'whitelist-rm', address };
  if (kind === 'host' && second) return { kind: present ? 'host-add' : 'host-rm', address, hostname: second };
  return undefined;
}

const order = (entry: string, present: boolean): number => {
  const kind = entry.split(' ')[0];
  if (present) return kind === 'whitelist' ? 0 : kind === 'host' ? 1 : 2;
  return kind === 'host' ? 0 : 1;
};

/** The pushes that take a device from the confirmed entries to the desired ones, in sending order. */
export function planPushes(confirmed: readonly string[], desired: Set<string>): PlannedPush[] {
  const have = new Set(confirmed);
  const oldName = confirmed.find((entry) => entry.startsWith('hostname '));
  const adds = [...desired]
    .filter((entry) => !have.has(entry))
    .sort((a, b) => order(a, true) - order(b, true));
  const removals = confirmed
    .filter((entry) => !desired.has(entry) && !entry.startsWith('hostname '))
    .sort((a, b) => order(a, false) - order(b, false));
  const plan: PlannedPush[] = [];
  for (const entry of removals) {
    const command = commandFor(entry, false);
    if (command) plan.push({ command, entry, present: false });
  }
  for (const entry of adds) {
    const command = commandFor(entry, true);
    if (!command) continue;
    const replaces = entry.startsWith('hostname ') ? oldName : undefined;
    plan.push(replaces ? { command, entry, present: true, replaces } : { command, entry, present: true });
  }
  return plan;
}
