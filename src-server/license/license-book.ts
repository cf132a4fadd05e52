// The license.json a dashboard serves, issued again whenever the servers sharing its database
// change: each lists every registered server's bases (the registry in the store), so a device that
// fetched the license of any one of them knows all the bases.
import type { ServerRecord, Store } from '../store/store.js';
import { issueLicense, type IssuedLicense, type LicenseSettings } from './license-issuer.js';
import type { SigningKey } from './signing-key.js';

/** Every registered base, in registration order, each once; `own` when the registry has none. */
export function clusterBases(servers: readonly ServerRecord[], own: readonly string[]): string[] {
  const listed = [...new Set(servers.flatMap((server) => server.baseServers))];
  return listed.length > 0 ? listed : [...own];
}

export class LicenseBook {
  private constructor(
    private readonly settings: LicenseSettings,
    private readonly key: SigningKey,
    private readonly store: Store,
    private issued: IssuedLicense,
  ) {}

  /** Issues the first license; `settings.baseServers` are this server's own, used while none is registered. */
  static async open(settings: LicenseSettings, key: SigningKey, store: Store): Promise<LicenseBook> {
    const issued = issueLicense(
      { ...settings, baseServers: clusterBases(await store.servers(), settings.baseServers) },
      key,
    );
    if (!issued.ok) throw new Error(issued.error.message);
    return new LicenseBook(settings, key, store, issued.value);
  }

  get current(): IssuedLicense {
    return this.issued;
  }

  /** Issues the license again from the registry; true when its base list changed. */
  async refresh(): Promise<boolean> {
    const bases = clusterBases(await this.store.servers(), this.settings.baseServers);
    const before = this.issued.license;
    const issued = issueLicense({ ...this.settings, baseServers: bases }, this.key);
    if (!issued.ok) throw new Error(issued.error.message);
    this.issued = issued.value;
    const listed = (license: typeof before) =>
      JSON.stringify([license.base_server_addresses, license.hnet_base_servers ?? []]);
    return listed(before) !== listed(issued.value.license);
  }
}
