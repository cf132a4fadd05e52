// Each connected device's usable endpoints, and who asked about whom: a device that asked for a
// peer's addresses is told again whenever that peer's endpoints change (the late-endpoint push,
// PROTOCOL.md §5), because stock clients ask only once.
import { formatEndpoint, isUsableEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';

/** Keeps DEVICE_ADDRESSES well inside one frame (17 + 18 × 33 bytes). */
const MAX_INFO_ENDPOINTS = 32;

interface Entry {
  info: Endpoint[];
  natObserved: Endpoint | undefined;
}

export const sameEndpoints = (a: readonly Endpoint[], b: readonly Endpoint[]): boolean =>
  a.length === b.length && a.every((e, i) => e.ip === b[i]!.ip && e.port === b[i]!.port);

export class AddressBook {
  private readonly entries = new Map<string, Entry>();
  private readonly askersByTarget = new Map<string, Set<string>>();
  private readonly targetsByAsker = new Map<string, Set<string>>();

  constructor(private readonly maxInterestsPerAsker: number) {}

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { info: [], natObserved: undefined };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Records the endpoints a device announced in INFO; true if what DEVICE_ADDRESSES lists changed. */
  setAnnounced(key: string, endpoints: readonly Endpoint[]): boolean {
    const seen = new Set<string>();
    const usable: Endpoint[] = [];
    for (const endpoint of endpoints) {
      const text = formatEndpoint(endpoint);
      if (!isUsableEndpoint(endpoint) || seen.has(text)) continue;
      seen.add(text);
      usable.push(endpoint);
      if (usable.length === MAX_INFO_ENDPOINTS) break;
    }
    return this.update(key, (entry) => (entry.info = usable));
  }

  /** Records the UDP source of the device's NAT_INIT; true if what DEVICE_ADDRESSES lists changed. */
  setNatObserved(key: string, endpoint: Endpoint): boolean {
    return this.update(key, (entry) => (entry.natObserved = endpoint));
  }

  private update(key: string, change: (entry: Entry) => void): boolean {
    const before = this.endpointsOf(key);
    change(this.entry(key));
    return !sameEndpoints(before, this.endpointsOf(key));
  }

  /** What DEVICE_ADDRESSES lists: the NAT-observed endpoint first, then the announced ones. */
  endpointsOf(key: string): Endpoint[] {
    const entry = this.entries.get(key);
    if (!entry) return [];
    const nat = entry.natObserved;
    if (!nat || !isUsableEndpoint(nat)) return entry.info.slice();
    return [nat, ...entry.info.filter((e) => e.ip !== nat.ip || e.port !== nat.port)];
  }

  /** Remembers that `asker` wants to hear about `target`; beyond the cap the oldest interest goes. */
  noteInterest(asker: string, target: string): void {
    let targets = this.targetsByAsker.get(asker);
    if (!targets) {
      targets = new Set();
      this.targetsByAsker.set(asker, targets);
    }
    // Re-inserting moves the target to the newest end of the set's insertion order.
    targets.delete(target);
    targets.add(target);
    if (targets.size > this.maxInterestsPerAsker) {
      const oldest = targets.values().next().value as string;
      targets.delete(oldest);
      this.dropAsker(oldest, asker);
    }
    let askers = this.askersByTarget.get(target);
    if (!askers) {
      askers = new Set();
      this.askersByTarget.set(target, askers);
    }
    askers.add(asker);
  }

  askersOf(target: string): readonly string[] {
    const askers = this.askersByTarget.get(target);
    return askers ? [...askers] : [];
  }

  /**
   * Forgets a device that went offline: its endpoints and what it asked about. Others' interest in
   * it stays, so they hear its new endpoints when it comes back.
   */
  forget(key: string): void {
    this.entries.delete(key);
    const targets = this.targetsByAsker.get(key);
    if (!targets) return;
    for (const target of targets) this.dropAsker(target, key);
    this.targetsByAsker.delete(key);
  }

  private dropAsker(target: string, asker: string): void {
    const askers = this.askersByTarget.get(target);
    if (!askers) return;
    askers.delete(asker);
    if (askers.size === 0) this.askersByTarget.delete(target);
  }

  /** How many devices have endpoints and how many interests are held, for the status page. */
  get size(): { devices: number; interests: number } {
    let interests = 0;
    for (const targets of this.targetsByAsker.values()) interests += targets.size;
    return { devices: this.entries.size, interests };
  }
}
