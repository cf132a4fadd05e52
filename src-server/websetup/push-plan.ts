// What websetup must tell one device so that its whitelist, host table and name match the dashboard.
// State on both sides is a set of entries (text, so the store can keep what a device confirmed):
//   `whitelist <address>`   `host <address> <hostname>`   `hostname <own name>`
// Removals go out first, host names before whitelist entries; then additions, whitelist first (a
// name for a peer it cannot reach is useless), then the device's own name (which may free a name a
// peer takes next), then host names. A renamed device gets `set-hostname`, which has no removal.
//
// Each entry occupies a slot on the device: an address in its whitelist, or a name (host table
// and its own name share one namespace, as /etc/hosts does, letter case aside). Commands touching
// one slot must be applied in the order they were sent, so a push names its slots (`keys`) and
// websetup keeps at most one unconfirmed command per slot.
import { parseOverlayAddress } from '../../src-protocol/address.js';
import type { WebsetupCommand } from '../../src-protocol/websetup-messages.js';
import { deviceNameProblem } from '../../src-shared/hostname.js';

export interface DesiredState {
  peers: readonly { address: string; hostname: string }[];
  hostname: string;
}

/** A command and the entry change it makes once the device confirms it. */
export interface PlannedPush {
  command: WebsetupCommand;
  entry: string;
  present: boolean;
  /** The device's slots this push changes; none may have another command on its way. */
  keys: string[];
}

/** What the store should record once the device confirmed: entries added and dropped. */
export type RecordChange = (confirmed: readonly string[]) => { add?: string[]; drop?: string[] };

export const whitelistEntry = (address: string): string => `whitelist ${address}`;
export const hostEntry = (address: string, hostname: string): string => `host ${address} ${hostname}`;
export const hostnameEntry = (hostname: string): string => `hostname ${hostname}`;

const nameKey = (hostname: string): string => `name ${hostname.toLowerCase()}`;
const OWN_NAME_KEY = 'own name';

/**
 * The entries the device should hold. A name websetup may not hand out (an old database's
 * `github.com`) is never pushed, and neither is a name the device would see twice or as its own:
 * the peer stays reachable by address, and no name stands for the wrong device.
 */
export function desiredEntries(state: DesiredState): Set<string> {
  const entries = new Set<string>();
  if (!deviceNameProblem(state.hostname)) entries.add(hostnameEntry(state.hostname));
  const seen = new Map<string, number>();
  for (const name of [state.hostname, ...state.peers.map((p) => p.hostname)])
    seen.set(name.toLowerCase(), (seen.get(name.toLowerCase()) ?? 0) + 1);
  for (const peer of state.peers) {
    entries.add(whitelistEntry(peer.address));
    if (!deviceNameProblem(peer.hostname) && seen.get(peer.hostname.toLowerCase()) === 1)
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

/** The slot an entry occupies on the device. */
function slotOf(entry: string): string {
  const [kind, first = '', second = ''] = entry.split(' ');
  if (kind === 'hostname') return OWN_NAME_KEY;
  return kind === 'host' ? nameKey(second) : `address ${first}`;
}

const order = (entry: string, present: boolean): number => {
  const kind = entry.split(' ')[0];
  if (present) return kind === 'whitelist' ? 0 : kind === 'hostname' ? 1 : 2;
  return kind === 'host' ? 0 : 1;
};

/** The pushes that take a device from the confirmed entries to the desired ones, in sending order. */
export function planPushes(confirmed: readonly string[], desired: Set<string>): PlannedPush[] {
  const have = new Set(confirmed);
  const oldName = confirmed.find((entry) => entry.startsWith('hostname '))?.slice('hostname '.length);
  const adds = [...desired]
    .filter((entry) => !have.has(entry))
    .sort((a, b) => order(a, true) - order(b, true));
  const removals = confirmed
    .filter((entry) => !desired.has(entry) && !entry.startsWith('hostname '))
    .sort((a, b) => order(a, false) - order(b, false));
  const plan: PlannedPush[] = [];
  for (const [entries, present] of [
    [removals, false],
    [adds, true],
  ] as const)
    for (const entry of entries) {
      const command = commandFor(entry, present);
      if (!command) continue;
      // A rename frees the old name and takes the new one in the device's namespace.
      const keys =
        command.kind === 'set-hostname'
          ? [OWN_NAME_KEY, nameKey(command.hostname), ...(oldName ? [nameKey(oldName)] : [])]
          : [slotOf(entry)];
      plan.push({ command, entry, present, keys: [...new Set(keys)] });
    }
  return plan;
}

/**
 * What a confirmed push changes in the record: an added entry replaces whatever held its slot
 * (the device's host table has one address per name, and a device one name of its own).
 */
export function recordOf(entry: string, present: boolean): RecordChange {
  if (!present) return () => ({ drop: [entry] });
  const slot = slotOf(entry);
  return (confirmed) => ({
    add: [entry],
    drop: confirmed.filter((other) => other !== entry && slotOf(other) === slot),
  });
}
