// The engine: owns the device's state (identity, whitelist, host table) and the data plane that
// moves packets, and answers what a user may ask of it. It has no socket of its own: the control
// API, the Electron shell and tests drive it through the same methods.
//
// The data plane (base connection, peers and their paths, LAN discovery, TUN I/O) plugs in through
// `DataPlaneFactory`: it receives the components below and each of its services takes only the
// ones it needs, e.g. `createBaseConnection(c: Pick<EngineComponents, 'config' | 'identity' | 'log'>)`.
// Status is built from the data plane's live state each time it is asked for, never stored.
import { join } from 'node:path';
import type { Identity } from '../../src-protocol/identity.js';
import { oneOf, optional, object } from '../../src-shared/validate.js';
import type { EngineConfig } from './state/config.js';
import type { NetcheckReport, PingResult } from '../contract/diagnostics.js';
import type { Enrolment, EnrolmentFactory } from './membership/enrolment-state.js';
import { errorText, failure, success, type Outcome } from '../contract/errors.js';
import { StatusFeed } from './control/event-stream.js';
import { type StatusListener } from '../contract/events.js';
import { HostTable } from './state/host-table.js';
import { HostsFileSync, type WriteHosts } from './state/hosts-sync.js';
import { identityAddress, loadOrCreateIdentity } from './state/identity-store.js';
import type { Logger } from './log.js';
import type { ManagementLink } from './packets/management-port.js';
import type { JoinResult, LeaveResult, SetupServerResult } from '../contract/control-calls.js';
import { canonicalAddress, hostnameValidator, type HostEntry } from '../contract/names.js';
import { runNetcheck, type NetcheckInputs } from './paths/netcheck.js';
import { PersistedJson } from './state/persisted-json.js';
import { openStateDir } from './state/state-dir.js';
import type {
  BaseStatus,
  DataLaneStatus,
  NearbyDevice,
  PeerReport,
  PortMappingStatus,
  Status,
} from '../contract/status.js';
import { HNET_VERSION } from './version.js';
import { Whitelist } from './state/whitelist.js';

/** What the engine hands to the services it hosts. */
export interface EngineComponents {
  config: EngineConfig;
  identity: Identity;
  /** Ask `allows()` before a handshake in either direction; drop peers on a change that excludes them. */
  whitelist: Pick<Whitelist, 'allows' | 'onChange' | 'state'>;
  hosts: Pick<HostTable, 'resolve' | 'entries' | 'onChange'>;
  log: Logger;
  /** Report that something a user can see changed (a path, the base, a reason); cheap to call often. */
  changed(): void;
  /**
   * The overlay device is open. Names go into /etc/hosts only from then on: the root helper takes
   * them only from the engine whose device carries the overlay.
   */
  deviceOpened(): void;
}

/** The packet-moving half of the engine, provided by its own modules. */
export interface DataPlane {
  /** Starts; after stop(), starts again (`hnet up`). */
  start(): Promise<void>;
  /** `releaseDevice`: remove hnet0 through its maker too (`hnet down`), not only close it. */
  stop(options?: { releaseDevice?: boolean }): Promise<void>;
  /** The base connection as it is right now. */
  base(): BaseStatus;
  /** Every peer the data plane knows, as it is right now. */
  peers(): PeerReport[];
  /** Input from the network it refused, counted per reason. */
  drops?(): Record<string, number>;
  dataLane?(): DataLaneStatus;
  /** One heartbeat round trip to the peer (`hnet ping`); no reply within `timeoutMs` is no error. */
  ping?(address: string, timeoutMs: number): Promise<Outcome<Omit<PingResult, 'address' | 'hostname'>>>;
  /** Devices heard on the LAN lately (their beacons), allowed or not. */
  nearby?(): Omit<NearbyDevice, 'hostname'>[];
  /** The port mapping on the home router, held while the data plane runs. */
  portMapping?(): PortMappingStatus;
  /** What `hnet netcheck` needs to know of the data plane, running or not. */
  netcheckInputs?(): NetcheckInputs;
  /** Connects to these base servers from now on; before `start`, the ones it starts with. */
  useBaseServers(servers: readonly string[]): void;
  /** Websetup's port inside the overlay (management-port.ts), there from construction on. */
  readonly management?: ManagementLink;
}
export type DataPlaneFactory = (components: EngineComponents) => DataPlane;

/** This device's name as websetup (or a join) last set it; it outlives restarts and the config's. */
const nameSchema = object({ hostname: optional(hostnameValidator) });
const NAME_FILE = 'name.json';
/** `hnet down` outlives restarts: the engine starts disconnected until `hnet up`. */
const connectionSchema = object({ connection: oneOf(['up', 'down'] as const) });
const CONNECTION_FILE = 'connection.json';
type Connection = Status['connection'];

export interface EngineOptions {
  config: EngineConfig;
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

const disconnected: BaseStatus = {
  state: 'offline',
  transport: null,
  server: null,
  reason: 'disconnected: hnet talks to no one until "hnet up" (or Connect)',
};

export class Engine {
  readonly address: string;
  private readonly feed: StatusFeed;
  private readonly hostsSync: HostsFileSync;
  private readonly dataPlane: DataPlane | undefined;
  private readonly enrolment: Enrolment | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  /** Connection changes, one at a time in the order asked. */
  private connecting: Promise<unknown> = Promise.resolve();
  /** The netcheck under way: callers meanwhile share it rather than start more. */
  private netchecking: Promise<Outcome<NetcheckReport>> | undefined;

  /**
   * `config` is the engine's own copy: the hostname in it is live (websetup may rename the device),
   * and every service reads it from there.
   */
  private constructor(
    readonly config: EngineConfig,
    readonly identity: Identity,
    readonly whitelist: Whitelist,
    readonly hosts: HostTable,
    private readonly savedName: PersistedJson<{ hostname?: string }>,
    private readonly savedConnection: PersistedJson<{ connection: Connection }>,
    private readonly log: Logger,
    options: EngineOptions,
  ) {
    this.address = identityAddress(identity);
    this.feed = new StatusFeed(() => this.status());
    const changed = () => this.feed.changed();
    this.hostsSync = new HostsFileSync(options.writeHosts, () => this.hostsFileEntries(), log, changed);
    const components: EngineComponents = {
      config,
      identity,
      whitelist,
      hosts,
      log,
      changed,
      deviceOpened: () => this.hostsSync.request(),
    };
    this.dataPlane = options.dataPlane?.(components);
    this.enrolment = options.enrolment?.({
      ...components,
      whitelist,
      hosts,
      management: this.dataPlane?.management,
      useBaseServers: (servers) => this.useBaseServers(servers),
      setHostname: (hostname) => this.setHostname(hostname),
    });
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
    const savedName = await PersistedJson.open(join(dir.value.root, NAME_FILE), nameSchema, {});
    if (!savedName.ok) return savedName;
    const up: { connection: Connection } = { connection: 'up' };
    const savedConnection = await PersistedJson.open(
      join(dir.value.root, CONNECTION_FILE),
      connectionSchema,
      up,
    );
    if (!savedConnection.ok) return savedConnection;
    const { identity, created, tightened } = loaded.value;
    const hostname = savedName.value.value.hostname ?? config.hostname;
    const engine = new Engine(
      { ...config, hostname },
      identity,
      whitelist.value,
      hosts.value,
      savedName.value,
      savedConnection.value,
      log,
      options,
    );
    if (created) log.info('identity-created', { address: engine.address, file: dir.value.identityFile });
    if (tightened) log.warn('identity-mode-fixed', { file: dir.value.identityFile, mode: '0600' });
    if (hostname !== config.hostname)
      log.info('hostname-from-websetup', { hostname, configured: config.hostname });
    // With a data plane, names are written once its device is open (deviceOpened).
    if (!options.dataPlane) engine.hostsSync.request();
    await engine.chooseBaseServers();
    if (engine.connection === 'down')
      log.info('connection', { state: 'down', reason: 'kept from before: "hnet up" connects' });
    try {
      if (engine.connection === 'up') await engine.dataPlane?.start();
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
    await this.enrolment?.stop();
    await this.dataPlane?.stop();
    this.log.info('engine-stopped');
  }

  status(): Status {
    const named = new Map(this.hosts.entries.map((e) => [e.address, e.hostname]));
    const reports = this.dataPlane?.peers() ?? [];
    const networks = this.enrolment?.networks(reports) ?? [];
    // Websetup is the network's server, shown with it, not counted as a peer.
    const servers = new Set(networks.map((n) => n.websetup));
    return {
      version: HNET_VERSION,
      address: this.address,
      hostname: this.config.hostname,
      connection: this.connection,
      base: this.connection === 'down' ? disconnected : (this.dataPlane?.base() ?? withoutDataPlane),
      peers: reports
        .filter((p) => !servers.has(p.address))
        .map((p) => ({ ...p, hostname: named.get(p.address) ?? null })),
      drops: this.dataPlane?.drops?.() ?? {},
      dataLane: this.dataPlane?.dataLane?.(),
      portMapping: this.dataPlane?.portMapping?.(),
      whitelist: this.whitelist.state,
      hosts: [...this.hosts.entries],
      hostsFile: this.hostsSync.status,
      networks,
      server: this.enrolment?.server?.() ?? null,
      nearby: (this.dataPlane?.nearby?.() ?? []).map((d) => ({
        ...d,
        hostname: named.get(d.address) ?? null,
      })),
    };
  }

  /** `up` or `down`, as the user last set it (`hnet up`, `hnet down`, Connect/Disconnect). */
  get connection(): Connection {
    return this.savedConnection.value.connection;
  }

  /**
   * `down`: the data plane stops (hnet0 removed, base left, no LAN beacons, no peers) while the
   * engine and its control API run on; `up` starts it again. Saved before `down` takes effect and
   * once `up` has, so a restart keeps what the user last got.
   */
  setConnection(connection: Connection): Promise<Outcome<Status>> {
    const change = async (): Promise<Outcome<Status>> => {
      if (connection === this.connection) return success(this.status());
      if (connection === 'down') {
        const saved = await this.saveConnection('down');
        if (!saved.ok) return saved;
        this.feed.changed();
        await this.dataPlane?.stop({ releaseDevice: true });
      } else {
        try {
          await this.dataPlane?.start();
        } catch (error) {
          await this.dataPlane?.stop({ releaseDevice: true });
          return failure('Internal', `could not connect: ${errorText(error)}`);
        }
        const saved = await this.saveConnection('up');
        if (!saved.ok) {
          await this.dataPlane?.stop({ releaseDevice: true });
          return saved;
        }
      }
      this.log.info('connection', { state: connection });
      this.feed.changed();
      return success(this.status());
    };
    const result = this.connecting.then(change);
    // A change that threw must not stop the ones after it.
    this.connecting = result.catch(() => undefined);
    return result;
  }

  private saveConnection(connection: Connection): Promise<Outcome<void>> {
    return this.savedConnection.update(() => success({ next: { connection }, answer: undefined }));
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

  /** One heartbeat round trip through the engine to a peer, by name or address (`hnet ping`). */
  async ping(host: string, timeoutMs: number): Promise<Outcome<PingResult>> {
    const entry = this.resolve(host);
    if (!entry.ok) return entry;
    const { address } = entry.value;
    if (address === this.address) return failure('BadParams', `${host} is this device; ping a peer`);
    if (this.connection === 'down') return failure('NotAvailable', 'hnet is down: "hnet up" connects again');
    if (!this.dataPlane?.ping) return notAvailable('pinging a peer');
    const pinged = await this.dataPlane.ping(address, timeoutMs);
    if (!pinged.ok) return pinged;
    return success({ address, hostname: this.hostnameOf(address) ?? null, ...pinged.value });
  }

  /** Base servers over UDP and TCP, this NAT's mapping, LAN beacons (`hnet netcheck`). */
  netcheck(): Promise<Outcome<NetcheckReport>> {
    this.netchecking ??= (async (): Promise<Outcome<NetcheckReport>> => {
      const inputs = this.dataPlane?.netcheckInputs?.();
      if (!inputs) return notAvailable('netcheck');
      const result = await runNetcheck(inputs);
      return success({ at: new Date().toISOString(), connection: this.connection, ...result });
    })().finally(() => (this.netchecking = undefined));
    return this.netchecking;
  }

  setupServer(url: string, fingerprint: string | undefined): Promise<Outcome<SetupServerResult>> {
    if (!this.enrolment) return Promise.resolve(notAvailable('setting up a server'));
    return this.enrolment.setupServer(url, fingerprint);
  }

  join(code: string, hostname: string | undefined): Promise<Outcome<JoinResult>> {
    if (!this.enrolment) return Promise.resolve(notAvailable('joining a network with a code'));
    return this.enrolment.join(code, hostname ?? this.config.hostname);
  }

  leave(websetup: string | undefined): Promise<Outcome<LeaveResult>> {
    if (!this.enrolment) return Promise.resolve(notAvailable('leaving a network'));
    return this.enrolment.leave(websetup);
  }

  /** The config's base servers; when it names none, those of the server set up with `setupServer`. */
  private async chooseBaseServers(): Promise<void> {
    const saved = (await this.enrolment?.savedBaseServers()) ?? [];
    if (saved.length === 0) return;
    const configured = this.config.baseServers;
    if (configured.length > 0) {
      if (saved.join(',') !== configured.join(','))
        this.log.warn('base-servers-from-config', {
          using: configured.join(','),
          setUp: saved.join(','),
          reason: 'the config names base servers, so the server set up with "hnet setup-server" waits unused',
        });
      return;
    }
    this.log.info('base-servers-from-setup', { using: saved.join(',') });
    this.dataPlane?.useBaseServers(saved);
  }

  private useBaseServers(servers: readonly string[]): Promise<Outcome<void>> {
    if (!this.dataPlane) return Promise.resolve(notAvailable('switching base servers'));
    this.dataPlane.useBaseServers(servers);
    return Promise.resolve(success(undefined));
  }

  /** Renames this device: saved first (atomically), then shown and written to /etc/hosts. */
  private async setHostname(hostname: string): Promise<Outcome<void>> {
    if (hostname === this.config.hostname) return success(undefined);
    const saved = await this.savedName.update(() => success({ next: { hostname }, answer: undefined }));
    if (!saved.ok) return saved;
    this.log.info('hostname-changed', { from: this.config.hostname, to: hostname });
    this.config.hostname = hostname;
    this.feed.changed();
    this.hostsSync.request();
    return success(undefined);
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
