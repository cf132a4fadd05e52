// Names for overlay addresses (hostname → fc94 address). The engine mirrors the table, plus this
// device's own name, into the managed lines of /etc/hosts through the root helper.
import { failure, success, type Outcome } from '../../contract/errors.js';
import { hostEntry, HOST_LIMIT, type HostEntry } from '../../contract/names.js';
import { PersistedJson } from './persisted-json.js';
import { list, object, type Infer } from '../../../src-shared/validate.js';

const hostTableSchema = object({ hosts: list(hostEntry, HOST_LIMIT) });
type HostTableFile = Infer<typeof hostTableSchema>;

const byHostname = (a: HostEntry, b: HostEntry): number => a.hostname.localeCompare(b.hostname);

export class HostTable {
  private constructor(private readonly store: PersistedJson<HostTableFile>) {}

  static async open(file: string): Promise<Outcome<HostTable>> {
    const store = await PersistedJson.open(file, hostTableSchema, { hosts: [] });
    return store.ok ? success(new HostTable(store.value)) : store;
  }

  get entries(): readonly HostEntry[] {
    return this.store.value.hosts;
  }

  /** Hostnames are matched case-insensitively, as DNS and /etc/hosts do. */
  resolve(hostname: string): string | undefined {
    const wanted = hostname.toLowerCase();
    return this.entries.find((e) => e.hostname.toLowerCase() === wanted)?.address;
  }

  /** Adds a name or points an existing one at a new address (any IPv6 spelling). */
  add(given: HostEntry): Promise<Outcome<readonly HostEntry[]>> {
    const checked = hostEntry(given, '');
    if (!checked.ok) return Promise.resolve(failure('BadParams', checked.error));
    const entry = checked.value;
    return this.store.update(({ hosts }) => {
      const others = hosts.filter((e) => e.hostname.toLowerCase() !== entry.hostname.toLowerCase());
      if (others.length >= HOST_LIMIT)
        return failure('BadParams', `the host table is full (${HOST_LIMIT} names); remove some first`);
      const next = [...others, entry].sort(byHostname);
      return success({ next: { hosts: next }, answer: next });
    });
  }

  remove(hostname: string): Promise<Outcome<readonly HostEntry[]>> {
    return this.store.update(({ hosts }) => {
      const next = hosts.filter((e) => e.hostname.toLowerCase() !== hostname.toLowerCase());
      if (next.length === hosts.length)
        return failure('NotFound', `no host named ${hostname} in the host table`);
      return success({ next: { hosts: next }, answer: next });
    });
  }

  onChange(listener: (entries: readonly HostEntry[]) => void): () => void {
    return this.store.onChange((file) => listener(file.hosts));
  }
}
