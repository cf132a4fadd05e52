// The engine: owns the device's state (identity, whitelist, host table) and the data plane that
// moves packets, and answers what a user may ask of it. It has no socket of its own: the control
// API, the Electron shell and tests drive it through the same methods.
//
// The data plane (base connection, peers and their paths, LAN discovery, TUN I/O) plugs in through
// `DataPlaneFactory`: it receives the components below and each of its services takes only the
// ones it needs, e.g. `createBaseConnection(c: Pick<EngineComponents, 'config' | 'identity' | 'log'>)`.
// Status is built from the data plane's live state each time it is asked for, never stored.
import type { Identity } from '../../src-protocol/identity.js';
import type { Config } from './config.js';
import { errorText, failure, success, type Outcome } from './errors.js';
import { StatusFeed, type StatusListener } from './event-stream.js';
import { HostTable, type HostEntry } from './host-table.js';
import { HostsFileSync, type WriteHosts } from './hosts-sync.js';
import { identityAddress, loadOrCreateIdentity } from './identity-store.js';
import type { Logger } from './log.js';
import { canonicalAddress } from './names.js';
import { openStateDir } from './state-dir.js';
import type { BaseStatus, PeerReport, Status } from './status.js';
import { HNET_VERSION } from './version.js';
import { Whitelist } from './whitelist.js';

/** What the engine hands to the services it hosts. */
export interface EngineComponents {
  config: Config;
  identity: Identity;
  /** Ask `allows()` before a handshake in either direction; drop peers on a change that excludes them. */
  whitelist: Pick<Whitelist, 'allows' | 'onChange' | 'state'>;
  hosts: Pick<HostTable, 'resolve' | 'entries' | 'onChange'>;
  log: Logger;
  /** Report that something a user can see changed (a path, the base, a reason); cheap to call often. */
  changed(): void;
}

/** The packet-moving half of the engine, provided by its own modules. */
export interface DataPlane {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The base connection as it is right now. */
  base(): BaseStatus;
  /** Every peer the data plane knows, as it is right now. */
  peers(): PeerReport[];
  /** Input from the network it refused, counted per reason. */
  drops?(): Record<string, number>;
}
export type DataPlaneFactory = (components: EngineComponents) => DataPlane;

export interface SetupServerResult {
  /** Base servers now in use, from the server's license. */
  baseServers: string[];
}
export interface JoinResult {
  websetup: string;
  hostname: string;
}

/** Enrolling with an hnet server (license fetch, websetup join), provided by its own modules. */
export interface Enrolment {
  setupServer(url: string): Promise<Outcome<SetupServerResult>>;
  join(code: string, hostname: string): Promise<Outcome<JoinResult>>;
}
export type EnrolmentFactory = (components: EngineComponents) => Enrolment;

export interface EngineOptions {
  config: Config;
  log: Logger;
  /** Writes the managed /etc/hosts lines (the root helper client). */
  writeHosts: WriteHosts;
  dataPlane?: DataPlaneFactory;
  enrolment?: EnrolmentFactory;
}

const withoutDataPlane: BaseStatus = {
  state: 'offline',
  transport: null,
  server: null,
  reason: 'this build has no data plane yet',
};

export class Engine {
  readonly address: string;
  private readonly feed: StatusFeed;
  private readonly hostsSync: HostsFileSync;
  private readonly dataPlane: DataPlane | undefined;
  private readonly enrolment: Enrolment | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(
    readonly config: Config,
    readonly identity: Identity,
    readonly whitelist: Whitelist,
    readonly hosts: HostTable,
    private readonly log: Logger,
    options: EngineOptions,
  ) {
    this.address = identityAddress(identity);
    this.feed = new StatusFeed(() => this.status());
    const changed = () => this.feed.changed();
    this.hostsSync = new HostsFileSync(options.writeHosts, () => this.hostsFileEntries(), log, changed);
    const components: EngineComponents = { config, identity, whitelist, hosts, log, changed };
    this.dataPlane = options.dataPlane?.(components);
    this.enrolment = options.enrolment?.(components);
    this.unsubscribe.push(
      whitelist.onChange(changed),
      hosts.onChange(() => {
        changed();
        this.hostsSync.request();
      }),
    );
  }

  /** Loads (or on first run creates) the state, then starts the data plane. */
  static async start(options: EngineOptions): Promise<Outcome<Engine>> {
    const { config, log } = options;
    const dir = await openStateDir(config.stateDir);
    if (!dir.ok) return dir;
    const loaded = await loadOrCreateIdentity(dir.value.identityFile);
    if (!loaded.ok) return loaded;
    const whitelist = await Whitelist.open(dir.value.whitelistFile);
    if (!whitelist.ok) return whitelist;
    const hosts = await HostTable.open(dir.value.hostsFile);
    if (!hosts.ok) return hosts;
    const { identity, created, tightened } = loaded.value;
    const engine = new Engine(config, identity, whitelist.value, hosts.value, log, options);
    if (created) log.info('identity-created', { address: engine.address, file: dir.value.identityFile });
    if (tightened) log.warn('identity-mode-fixed', { file: dir.value.identityFile, mode: '0600' });
    engine.hostsSync.request();
    try {
      await engine.dataPlane?.start();
    } catch (error) {
      await engine.stop();
      return failure('Internal', `the network engine could not start: ${errorText(error)}`);
    }
    log.info('engine-started', {
      address: engine.address,
      hostname: config.hostname,
      stateDir: dir.value.root,
    });
    return success(engine);
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.feed.close();
    this.hostsSync.stop();
    await this.dataPlane?.stop();
    this.log.info('engine-stopped');
  }

  status(): Status {
    const named = new Map(this.hosts.entries.map((e) => [e.address, e.hostname]));
    return {
      version: HNET_VERSION,
      address: this.address,
      hostname: this.config.hostname,
      base: this.dataPlane?.base() ?? withoutDataPlane,
      peers: (this.dataPlane?.peers() ?? []).map((p) => ({ ...p, hostname: named.get(p.address) ?? null })),
      drops: this.dataPlane?.drops?.() ?? {},
      whitelist: this.whitelist.state,
      hosts: [...this.hosts.entries],
      hostsFile: this.hostsSync.status,
    };
  }

  /** A full status now, then one per visible change, until the returned function is called. */
  subscribe(listener: StatusListener): () => void {
    return this.feed.subscribe(listener);
  }

  /** An address for a hostname (this device, the host table) or an address given as text. */
  resolve(host: string): Outcome<HostEntry> {
    const address = canonicalAddress(host);
    if (address) return success({ address, hostname: this.hostnameOf(address) ?? host });
    if (host.toLowerCase() === this.config.hostname.toLowerCase())
      return success({ address: this.address, hostname: this.config.hostname });
    const found = this.hosts.resolve(host);
    if (found) return success({ address: found, hostname: host });
    return failure('NotFound', `unknown host "${host}": it is neither an fc94 address nor in the host table`);
  }

  setupServer(url: string): Promise<Outcome<SetupServerResult>> {
    if (!this.enrolment) return Promise.resolve(notAvailable('setting up a server'));
    return this.enrolment.setupServer(url);
  }

  join(code: string, hostname: string | undefined): Promise<Outcome<JoinResult>> {
    if (!this.enrolment) return Promise.resolve(notAvailable('joining a network with a code'));
    return this.enrolment.join(code, hostname ?? this.config.hostname);
  }

  private hostnameOf(address: string): string | undefined {
    if (address === this.address) return this.config.hostname;
    return this.hosts.entries.find((e) => e.address === address)?.hostname;
  }

  /** The table plus this device under its own name, unless the table already uses that name. */
  private hostsFileEntries(): HostEntry[] {
    const own = { hostname: this.config.hostname, address: this.address };
    const table = this.hosts.entries;
    const shadowed = table.some((e) => e.hostname.toLowerCase() === own.hostname.toLowerCase());
    return shadowed ? [...table] : [own, ...table];
  }
}

const notAvailable = (what: string) =>
  failure('NotAvailable', `${what} is not available yet in this build of hnet (the server parts come later)`);
