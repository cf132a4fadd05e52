// The engine's data plane: one UDP socket shared by peers and the base, the base connection, LAN
// discovery, the peer table and the TUN device, wired together (engine.ts's DataPlaneFactory).
// Status is read from the live objects each time it is asked for, so it cannot drift from reality.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { formatEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import type { Identity } from '../../src-protocol/identity.js';
import { HNET_FLAGS } from '../../src-protocol/security/flags.js';
import { HelloSeq } from '../../src-protocol/security/hello-seq.js';
import { SecuritySession } from '../../src-protocol/security/session.js';
import { BaseConnection } from './paths/base-connection.js';
import { DataLane } from './packets/data-lane.js';
import { DropCounter } from './drops.js';
import type { DataPlane, DataPlaneFactory, EngineComponents } from './engine.js';
import type { PingPath, PingResult } from '../contract/diagnostics.js';
import { errorText, failure, success, type Outcome } from '../contract/errors.js';
import type { HelperClient } from '../../src-helper/api/helper-client.js';
import { LanDiscovery, openDgramBeaconSocket, type LanIo } from './paths/lan-discovery.js';
import type { Logger } from './log.js';
import { advertisedEndpoints, localAddresses } from './io/local-interfaces.js';
import type { LaneCarrier } from './io/lane-carrier.js';
import { ManagementPort, type ManagementCarrier } from './packets/management-port.js';
import { PacketReceiver } from './packets/receive.js';
import { PacketSender } from './packets/send.js';
import type { NetcheckInputs } from './paths/netcheck.js';
import { Peer, type PeerCandidate } from './paths/peer.js';
import { addressKey, PeerTable } from './paths/peer-table.js';
import { createPortMapper, type PortMapper } from './io/portmap/port-mapper.js';
import { mappedBy, portMappingStatus, type PortMappingState } from './io/portmap/port-mapping-state.js';
import type {
  BaseStatus,
  DataLaneStatus,
  OffloadStatus,
  NearbyDevice,
  PeerReport,
  PortMappingStatus,
} from '../contract/status.js';
import { openPacketDevice } from './io/tun-device.js';
import type { OpenUdpSocket, UdpTransport } from './io/udp-socket.js';
import { openUdpTransport } from './io/udp-transport.js';

/** Peers are serviced (handshake retries, probes, path checks) this often; failover needs < 3 s. */
const TICK_MS = 200;
/** LAN beacons are remembered this long, so a peer whitelisted after its beacon is found at once. */
const LAN_HINT_TTL_MS = 60_000;
const MAX_LAN_HINTS = 256;
const INTERNAL_ERROR_LOG_GAP_MS = 10_000;
/**
 * A TUN device that could not be opened is tried again after this long at the latest; sooner
 * when what it depends on changes (the helper's socket appears: TunPrerequisite).
 */
const TUN_RETRY_MS = 5_000;
/**
 * A device lost after living this long is asked for again at once: hnet0 deleted under a running
 * helper changes nothing the watch could see, so waiting would mean the whole TUN_RETRY_MS. One
 * lost sooner waits, so a device that keeps vanishing costs the helper at most one open a second.
 */
const TUN_REOPEN_AT_ONCE_AFTER_MS = 1_000;
export const TUN_MTU = 1350;
const PORT_MAPPING_OFF =
  'switched off (portMapping, HNET_PORT_MAPPING): peers behind strict NATs reach this device through the base';

export interface TunDevice extends LaneCarrier {
  write(packet: Uint8Array): boolean;
  /** Packets read that no header could describe, dropped, since the device was opened (TunIo). */
  malformedReads?(): number;
  close(): Promise<unknown>;
}

/**
 * What opening the device depends on (the root helper's socket), watched after a failed open so
 * the next attempt starts the moment it changes, not on the next TUN_RETRY_MS tick.
 */
export interface TunPrerequisite {
  /** What a failed open waits for, for the log. */
  readonly description: string;
  /** Its state now; taken before each attempt, so a change during a failing one is not missed. */
  state(): string;
  /** HelperClient.watchSocket's contract: `changed` at most once, never synchronously or after stop. */
  watch(since: string, changed: () => void): (() => void) | undefined;
}

/**
 * Opens the overlay interface for `identity`'s address (whoever makes it may ask for proof that we
 * hold the key); packets the kernel routes into it reach `onPacket`, and `onLost` hears why, if the
 * device goes away under us (deleted, helper restarted).
 */
export type OpenTun = {
  (
    identity: Identity,
    onPacket: (packet: Uint8Array) => void,
    onLost: (reason: string) => void,
  ): Promise<TunDevice & { readonly name: string }>;
  readonly prerequisite?: TunPrerequisite;
  /** Removes the device `name` for good, after it was closed (`hnet down`), where its maker keeps it. */
  readonly release?: (name: string) => Promise<void>;
};

/**
 * The network the engine sees: its UDP socket, its LAN beacon sockets and its addresses. The
 * machine's by default; src-main/testnet gives an in-memory one, so two engines share one process.
 */
export interface EngineNetwork extends LanIo {
  openUdpSocket?: OpenUdpSocket;
}

const machineNetwork: EngineNetwork = { openSocket: openDgramBeaconSocket, localAddresses };

export interface DataPlaneOptions {
  /** Without it the engine still talks to the base and peers, but carries no traffic of its own. */
  openTun?: OpenTun;
  network?: EngineNetwork;
  /** HNET_FLAGS by default; STOCK_FLAGS makes this node behave like a stock peer (for tests). */
  flags?: bigint;
}

/**
 * The TUN device through the root helper, which passes us its fd (DESIGN.md §1), or on Windows
 * relays its Wintun session over a data pipe (tun-device.ts picks from the reply).
 */
export function tunThroughHelper(helper: HelperClient, log: Logger): OpenTun {
  const open: OpenTun = async (identity, onPacket, onLost) => {
    const opened = await helper.openTunDevice(identity, TUN_MTU);
    // Another engine on this machine carries the overlay: ours has its address but no routes.
    if (!opened.overlayRoute)
      log.warn('overlay-route-held-elsewhere', {
        device: opened.name,
        reason:
          'another engine on this machine holds fc94::/16; stop it, or use it (hnet --socket <its socket>)',
      });
    const device = await openPacketDevice(opened, {
      onPacket,
      onEnd: (error) => error && onLost(error.message),
    });
    return Object.assign(device, { name: opened.name });
  };
  // At boot hnetd may ask before the helper listens; its socket appearing ends the wait.
  const prerequisite: TunPrerequisite = {
    description: `the hnet helper's socket ${helper.socketPath}`,
    state: () => helper.socketState(),
    watch: (since, changed) => helper.watchSocket(since, changed),
  };
  const release = async (name: string): Promise<void> => void (await helper.closeTun(name));
  return Object.assign(open, { prerequisite, release });
}

/** What a ping tells of the paths, before the engine adds who was pinged. */
export type PingPaths = Omit<PingResult, 'address' | 'hostname'>;

export function createDataPlane(options: DataPlaneOptions = {}): DataPlaneFactory {
  return (components) => new NetworkDataPlane(components, options);
}

/** Waiting to open the device again: the fallback timer, and the watch that may end it sooner. */
interface TunWait {
  timer: NodeJS.Timeout;
  stopWatch?: () => void;
}

interface Running {
  udp: UdpTransport;
  base: BaseConnection;
  lan: LanDiscovery;
  /** TUN → peers (packets/send.ts). */
  sender: PacketSender;
  /** UDP and base → TUN (packets/receive.ts). */
  receiver: PacketReceiver;
  table: PeerTable;
  /** Carries established direct sessions' packets natively; absent: all of them go through JS. */
  lane: DataLane | undefined;
  /** Asks the home router to forward a public port to `udp`; absent when switched off. */
  portMapper: PortMapper | undefined;
  timers: NodeJS.Timeout[];
  unsubscribe: () => void;
}

class NetworkDataPlane implements DataPlane {
  /** Websetup's way in and out, which exists before start() so enrolment can set it up first. */
  readonly management: ManagementPort;
  private readonly dropCounter = new DropCounter();
  /** The peers multicast goes to; rebuilt after the whitelist or the peer table changes. */
  private multicastCache: Peer[] | undefined;
  /** The last beacon of every device heard on the LAN, allowed or not (yet). */
  private readonly lanHints = new Map<
    string,
    { id: Uint8Array; endpoint: Endpoint; at: number; heardAt: number }
  >();
  private readonly helloSeq = new HelloSeq();
  private running: Running | undefined;
  private tun: (TunDevice & { readonly name: string }) | undefined;
  /** performance.now() when `tun` was opened. */
  private tunOpenedAt = 0;
  /** The device's malformed reads already counted as drops. */
  private tunMalformedSeen = 0;
  /** An open in progress: the watch and the timer together must never start a second one. */
  private tunOpening = false;
  private tunWait: TunWait | undefined;
  /** Why the device is missing, as last logged: the same reason again is logged at debug only. */
  private tunMissingReason: string | undefined;
  private stopped = false;
  /** Why there is no lane, once start() decided. */
  private laneOff = 'the engine is stopped';
  private lastInternalErrorLogAt = -Infinity;
  private baseServers: readonly string[];

  constructor(
    private readonly c: EngineComponents,
    private readonly options: DataPlaneOptions,
  ) {
    this.baseServers = c.config.baseServers;
    this.management = new ManagementPort(c.identity.address);
  }

  /** Starts, or starts again after stop() (`hnet up` after `hnet down`). */
  async start(): Promise<void> {
    const { c } = this;
    this.stopped = false;
    const log = c.log.with({ component: 'data-plane' });
    const network = this.options.network ?? machineNetwork;
    const udp = await openUdpTransport(
      c.config.udpPort,
      (message, ip, port, key, receivedAt) => {
        try {
          this.running?.receiver.fromUdp(message, ip, port, key, receivedAt);
        } catch (error) {
          this.internalError('udp', error);
        }
      },
      { drops: this.dropCounter, openSocket: network.openUdpSocket },
    );
    udp.onError((error) => {
      this.dropCounter.count('udp-send-error');
      log.debug('udp-error', { reason: errorText(error) });
    });
    const lane = this.openLane(udp, log);
    if (c.config.offloads === 'off') {
      udp.disableOffloads?.();
      lane?.disableOffloads();
    }
    const table = new PeerTable(
      (address) => this.newPeer(address, log),
      (address) => c.whitelist.allows(address),
    );
    const base: BaseConnection = new BaseConnection(
      c,
      this.baseServers,
      udp,
      this.dropCounter,
      {
        deviceAddresses: (id, endpoints) => this.baseAddresses(id, endpoints),
        data: (source, packet, receivedAt) => {
          try {
            this.running?.receiver.fromBase(source, packet, receivedAt);
          } catch (error) {
            this.internalError('base', error);
          }
        },
        connected: () => {
          for (const peer of table.all()) base.requestInfo(peer.address);
        },
        relayChanged: (relay) => {
          const now = performance.now();
          lane?.relayThrough(base.udpRelay());
          for (const peer of table.all()) peer.path.setRelay(relay, now);
        },
      },
      // The mapped endpoint first: it is the one a peer behind any NAT can reach.
      () => [...this.mappedEndpoint(), ...advertisedEndpoints(network.localAddresses(), udp.port)],
    );
    const packets = {
      identity: c.identity,
      udp,
      base,
      table,
      drops: this.dropCounter,
      management: this.management,
    };
    const sender = new PacketSender({ ...packets, multicastPeers: () => this.multicastPeers() });
    const receiver = new PacketReceiver(packets);
    const lan = new LanDiscovery(
      c,
      udp.port,
      this.dropCounter,
      (id, endpoint) => this.beacon(id, endpoint),
      () => base.sendInfo(),
      network,
    );
    const unsubscribe = c.whitelist.onChange(() => this.whitelistChanged());
    const portMapper =
      c.config.portMapping === 'on'
        ? createPortMapper({ log: c.log.with({ component: 'portmap' }) })
        : undefined;
    const running: Running = {
      udp,
      base,
      lan,
      sender,
      receiver,
      table,
      lane,
      portMapper,
      timers: [],
      unsubscribe,
    };
    this.running = running;
    this.management.attach(this.managementCarrier(table));
    this.running.timers.push(setInterval(() => this.tick(), TICK_MS));
    base.start();
    const mapping = portMapper?.start(udp.port, (state) => this.portMappingChanged(running, state));
    if (mapping && !mapping.ok) log.warn('portmap-not-started', { reason: mapping.error.message });
    await this.openTun();
    log.info('data-plane-started', {
      udpPort: udp.port,
      baseServers: this.baseServers.join(',') || 'none',
    });
  }

  useBaseServers(servers: readonly string[]): void {
    this.baseServers = [...servers];
    this.running?.base.useServers(servers);
  }

  /**
   * Stops talking to anyone: base, peers, LAN beacons, hnet0. `releaseDevice` also has the device's
   * maker remove it (`hnet down`); a process that exits needs no such call, its device goes with it.
   */
  async stop({ releaseDevice = false }: { releaseDevice?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.cancelTunWait();
    const running = this.running;
    this.running = undefined;
    this.management.attach(undefined);
    this.lanHints.clear();
    this.multicastCache = undefined;
    if (running) {
      // Deleting the mapping takes a router's answer: under way while the rest stops.
      const unmapping = running.portMapper?.stop();
      for (const timer of running.timers) clearInterval(timer);
      running.unsubscribe();
      running.base.stop();
      running.lan.stop();
      running.udp.close();
      await unmapping;
    }
    const tun = this.tun;
    this.tun = undefined;
    await tun?.close();
    if (tun && releaseDevice) await this.releaseTun(tun.name);
  }

  base(): BaseStatus {
    return (
      this.running?.base.status() ?? {
        state: 'offline',
        transport: null,
        server: null,
        reason: 'the engine is stopped',
      }
    );
  }

  peers(): PeerReport[] {
    const running = this.running;
    if (!running) return [];
    const now = performance.now();
    const wallNow = Date.now();
    return [...running.table.all()].map((peer) => peer.report(now, wallNow));
  }

  drops(): Record<string, number> {
    return this.dropCounter.snapshot();
  }

  ping(address: string, timeoutMs: number): Promise<Outcome<PingPaths>> {
    const running = this.running;
    if (!running) return Promise.resolve(failure('NotAvailable', 'hnet is down: "hnet up" connects again'));
    const bytes = parseOverlayAddress(address);
    const peer = bytes && running.table.findOrCreate(bytes);
    if (!peer)
      return Promise.resolve(
        failure(
          'NotPermitted',
          `${address} is not on the whitelist; "hnet whitelist add ${address}" allows it`,
        ),
      );
    const way = (candidate: PeerCandidate | undefined): PingPath | null => {
      if (candidate)
        return { kind: 'direct', endpoint: formatEndpoint(candidate.endpoint), lan: candidate.lan };
      const transport = running.base.relayKind;
      return transport && { kind: 'base', server: running.base.status().server, transport };
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(success({ sent, rttMs: null, reply: null })), timeoutMs);
      const sent = way(
        peer.ping(performance.now(), (ms, from) => {
          clearTimeout(timer);
          resolve(success({ sent, rttMs: Math.round(ms * 100) / 100, reply: way(from) }));
        }),
      );
    });
  }

  /** Devices whose beacons arrived within LAN_HINT_TTL_MS, one each (its freshest beacon), by address. */
  nearby(): Omit<NearbyDevice, 'hostname'>[] {
    const now = performance.now();
    const freshest = new Map<string, { endpoint: Endpoint; at: number; heardAt: number }>();
    for (const hint of this.lanHints.values()) {
      if (now - hint.at >= LAN_HINT_TTL_MS) continue;
      const address = formatAddress(hint.id);
      if ((freshest.get(address)?.at ?? -Infinity) < hint.at) freshest.set(address, hint);
    }
    return [...freshest]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([address, hint]) => ({
        address,
        endpoint: formatEndpoint(hint.endpoint),
        lastHeard: new Date(hint.heardAt).toISOString(),
      }));
  }

  portMapping(): PortMappingStatus {
    if (this.c.config.portMapping !== 'on') return portMappingStatus({ state: 'off' }, PORT_MAPPING_OFF);
    const mapper = this.running?.portMapper;
    if (!mapper) return portMappingStatus({ state: 'off' }, 'hnet is down: no port mapping is held');
    return portMappingStatus(mapper.state());
  }

  netcheckInputs(): NetcheckInputs {
    const running = this.running;
    const now = performance.now();
    const heard = [...this.lanHints.values()]
      .filter((hint) => now - hint.at < LAN_HINT_TTL_MS)
      .map((hint) => ({
        address: formatAddress(hint.id),
        endpoint: formatEndpoint(hint.endpoint),
        secondsAgo: Math.round((now - hint.at) / 1000),
      }));
    return {
      servers: [...this.baseServers],
      known: running?.base.announced(),
      lan: {
        connected: running !== undefined,
        ...(running?.lan.report() ?? { beaconing: false, interfaces: [] }),
        heard,
      },
      portMapping: this.portMapping(),
    };
  }

  dataLane(): DataLaneStatus {
    const lane = this.running?.lane;
    const offloads = this.offloads();
    if (!lane) return { state: 'off', reason: this.laneOff, packets: 0, ...(offloads && { offloads }) };
    return {
      state: 'on',
      reason: 'established direct sessions are carried without entering JavaScript',
      packets: lane.carried(),
      ...(offloads && { offloads: { ...offloads, udpSend: lane.segmenting } }),
    };
  }

  /** What the kernel does for hnet0 and the socket now; the lane's sends join in when it runs. */
  private offloads(): OffloadStatus | undefined {
    const tun = this.tun;
    if (!tun || !this.running) return undefined;
    return {
      tcpSegments: false,
      udpSegments: false,
      udpSend: false,
      udpReceive: false,
      ...tun.offloads?.(),
      ...this.running.udp.offloads?.(),
    };
  }

  private newPeer(address: Uint8Array, log: EngineComponents['log']): Peer {
    const running = this.running!;
    const now = performance.now();
    const peer = new Peer({
      address,
      session: new SecuritySession({
        own: this.c.identity,
        ownFlags: this.options.flags ?? HNET_FLAGS,
        peerAddress: address,
        helloSeq: this.helloSeq,
        now,
        ciphers: running.lane?.ciphers,
      }),
      outbound: running.sender,
      inbound: running.receiver,
      drops: this.dropCounter,
      lane: running.lane,
      onTransition: (p, state, reason) => {
        log.info('peer-path', { peer: p.text, state, reason });
        this.c.changed();
      },
      onHandshake: (p) => {
        log.debug('peer-handshake', { peer: p.text });
        this.c.changed();
      },
    });
    if (this.management.isManaged(address)) peer.keepOffLane(true);
    peer.path.setRelay(running.base.relayKind, now);
    if (running.portMapper) peer.path.setPortMapping(mappedBy(running.portMapper.state()), now);
    for (const family of ['4', '6']) {
      const hint = this.lanHints.get(addressKey(address) + family);
      if (hint && now - hint.at < LAN_HINT_TTL_MS)
        running.receiver.candidate(peer, hint.endpoint, 'lan', now);
    }
    running.base.requestInfo(peer.address);
    this.multicastCache = undefined;
    this.c.changed();
    return peer;
  }

  /** The management port's datagrams enter the peer's session as the engine's own, past the TUN checks. */
  private managementCarrier(table: PeerTable): ManagementCarrier {
    return {
      sendToPeer: (address, payload, ipLength) => {
        const peer = table.findOrCreate(address);
        if (!peer) {
          this.dropCounter.count('websetup-not-whitelisted');
          return false;
        }
        try {
          peer.send(payload, ipLength, performance.now());
        } catch (error) {
          this.internalError('management', error);
          return false;
        }
        return true;
      },
      keepOffLane: (address, off) => table.find(address)?.keepOffLane(off),
    };
  }

  private tick(): void {
    const running = this.running;
    if (!running) return;
    const now = performance.now();
    try {
      running.lane?.countDrops(this.dropCounter);
      this.countMalformedReads();
      // STATE may move the relay to other endpoints without the relay kind changing.
      running.lane?.relayThrough(running.base.udpRelay());
      let relaying = false;
      for (const peer of running.table.all()) {
        peer.tick(now);
        relaying ||= peer.throughBase;
      }
      if (relaying) running.base.relayInUse(now);
    } catch (error) {
      this.internalError('tick', error);
    }
    // In a turn of their own, once the HELLOs this tick signed have left: a heartbeat is stamped as
    // it leaves, so its round trip is the path's, not this engine's backlog.
    setImmediate(() => this.heartbeats(running));
  }

  private countMalformedReads(): void {
    const malformed = this.tun?.malformedReads?.() ?? 0;
    if (malformed > this.tunMalformedSeen)
      this.dropCounter.count('tun-malformed', malformed - this.tunMalformedSeen);
    this.tunMalformedSeen = malformed;
  }

  private heartbeats(running: Running): void {
    if (this.running !== running) return;
    const now = performance.now();
    try {
      for (const peer of running.table.all()) peer.heartbeat(now);
    } catch (error) {
      this.internalError('heartbeat', error);
    }
  }

  /**
   * A bug met by one packet must not take the whole network down: count it, log it (at most once
   * per interval, a flood of one bad packet kind would drown the log), carry on.
   */
  private internalError(where: string, error: unknown): void {
    this.dropCounter.count(`internal-error-${where}`);
    const now = performance.now();
    if (now - this.lastInternalErrorLogAt < INTERNAL_ERROR_LOG_GAP_MS) return;
    this.lastInternalErrorLogAt = now;
    this.c.log.error('data-plane-bug', {
      where,
      reason: errorText(error),
      stack: error instanceof Error ? (error.stack ?? null) : null,
    });
  }

  /** Where the Internet reaches our UDP port through the router's mapping, if one is held. */
  private mappedEndpoint(): Endpoint[] {
    const state = this.running?.portMapper?.state();
    return state?.state === 'mapped' ? [state.external] : [];
  }

  /** A mapping made, lost or moved: the base (and through it every peer) and the paths hear it now. */
  private portMappingChanged(running: Running, state: PortMappingState): void {
    if (this.running !== running) return;
    const now = performance.now();
    for (const peer of running.table.all()) peer.path.setPortMapping(mappedBy(state), now);
    running.base.sendInfo();
    this.c.changed();
  }

  private baseAddresses(id: Uint8Array, endpoints: Endpoint[]): void {
    const running = this.running;
    const peer = running?.table.find(id);
    if (!running || !peer) return;
    const now = performance.now();
    peer.path.baseAddresses(
      endpoints.map((endpoint) => ({ endpoint, target: running.udp.target(endpoint) })),
      now,
    );
  }

  private beacon(id: Uint8Array, endpoint: Endpoint): void {
    const running = this.running;
    if (!running) return;
    const now = performance.now();
    if (this.lanHints.size >= MAX_LAN_HINTS) this.lanHints.clear();
    // One per family: if IPv6 link-local breaks, the IPv4 beacon's endpoint is still there.
    this.lanHints.set(addressKey(id) + (endpoint.ip.includes(':') ? '6' : '4'), {
      id,
      endpoint,
      at: now,
      heardAt: Date.now(),
    });
    const peer = running.table.findOrCreate(id);
    if (peer) running.receiver.candidate(peer, endpoint, 'lan', now);
  }

  /** The native data lane on this socket, unless switched off or impossible here (logged why). */
  private openLane(udp: UdpTransport, log: EngineComponents['log']): DataLane | undefined {
    if (this.c.config.dataLane === 'off') {
      this.laneOff = 'switched off (dataLane, HNET_DATA_LANE)';
      log.info('data-lane', { state: 'off', reason: this.laneOff });
      return undefined;
    }
    const lane = DataLane.open(this.c.identity.address, udp);
    if ('unavailable' in lane) {
      this.laneOff = `${lane.unavailable}; every packet goes through JavaScript`;
      log.warn('data-lane', { state: 'off', reason: this.laneOff });
      return undefined;
    }
    log.info('data-lane', { state: 'on' });
    return lane;
  }

  private multicastPeers(): Iterable<Peer> {
    const running = this.running;
    if (!running) return [];
    if (this.multicastCache) return this.multicastCache;
    const { enabled, addresses } = this.c.whitelist.state;
    const peers: Peer[] = enabled ? [] : [...running.table.all()];
    if (enabled)
      for (const text of addresses) {
        const address = parseOverlayAddress(text);
        const peer = address && running.table.findOrCreate(address);
        if (peer) peers.push(peer);
      }
    this.multicastCache = peers;
    return peers;
  }

  private whitelistChanged(): void {
    const running = this.running;
    if (!running) return;
    this.multicastCache = undefined;
    for (const peer of running.table.prune()) {
      peer.leaveLane();
      this.c.log.info('peer-dropped', { peer: peer.text, reason: 'no longer on the whitelist' });
    }
    this.c.changed();
  }

  private tunLost(reason: string): void {
    if (this.stopped || !this.running) return;
    const atOnce = performance.now() - this.tunOpenedAt >= TUN_REOPEN_AT_ONCE_AFTER_MS;
    this.c.log.warn('tun-lost', { reason, retryInSeconds: atOnce ? 0 : TUN_RETRY_MS / 1000 });
    this.tun = undefined;
    this.running.receiver.tun = undefined;
    if (atOnce) void this.openTun();
    else this.waitToOpenTun(this.options.openTun?.prerequisite?.state());
  }

  private async openTun(): Promise<void> {
    const { openTun } = this.options;
    const running = this.running;
    if (!openTun || !running || this.stopped || this.tun || this.tunOpening) return;
    this.tunOpening = true;
    const since = openTun.prerequisite?.state();
    let tun: TunDevice & { readonly name: string };
    try {
      tun = await openTun(
        this.c.identity,
        (packet) => {
          try {
            running.sender.fromTun(packet);
          } catch (error) {
            this.internalError('tun', error);
          }
        },
        (reason) => this.tunLost(reason),
      );
    } catch (error) {
      this.tunOpening = false;
      this.tunUnavailable(errorText(error), since);
      return;
    }
    this.tunOpening = false;
    if (this.stopped || this.running !== running) {
      await tun.close();
      // Stopped and started again while this open was under way (hnet down, then up).
      if (!this.stopped) void this.openTun();
      return;
    }
    this.tunMissingReason = undefined;
    this.tun = tun;
    this.tunMalformedSeen = 0;
    this.tunOpenedAt = performance.now();
    running.receiver.tun = tun;
    if (this.c.config.offloads === 'off') tun.disableOffloads?.();
    running.lane?.carry(tun);
    this.c.log.info('tun-opened', { name: tun.name, mtu: TUN_MTU });
    this.c.deviceOpened();
    // Only a node that can carry traffic announces itself on the LAN.
    await running.lan.start();
  }

  private async releaseTun(name: string): Promise<void> {
    try {
      await this.options.openTun?.release?.(name);
    } catch (error) {
      this.c.log.warn('tun-release-failed', { name, reason: errorText(error) });
    }
  }

  private tunUnavailable(reason: string, since: string | undefined): void {
    if (this.stopped) return;
    const watched = this.waitToOpenTun(since);
    const fields = {
      reason,
      waitingFor: watched ? this.options.openTun?.prerequisite?.description : undefined,
      retryInSeconds: TUN_RETRY_MS / 1000,
    };
    // Once per reason: a helper that is down for an hour must not write 720 warnings.
    if (reason === this.tunMissingReason) this.c.log.debug('tun-unavailable', fields);
    else this.c.log.warn('tun-unavailable', fields);
    this.tunMissingReason = reason;
  }

  /**
   * The next attempt comes when the prerequisite changes from `since`, or TUN_RETRY_MS from now,
   * whichever is first; the other is cancelled. True when the prerequisite is being watched.
   */
  private waitToOpenTun(since: string | undefined): boolean {
    this.cancelTunWait();
    const wait: TunWait = { timer: setTimeout(() => this.endTunWait(wait), TUN_RETRY_MS) };
    this.tunWait = wait;
    const prerequisite = this.options.openTun?.prerequisite;
    if (prerequisite && since !== undefined)
      wait.stopWatch = prerequisite.watch(since, () => this.endTunWait(wait));
    return wait.stopWatch !== undefined;
  }

  private endTunWait(wait: TunWait): void {
    if (this.tunWait !== wait) return;
    this.cancelTunWait();
    void this.openTun();
  }

  private cancelTunWait(): void {
    const wait = this.tunWait;
    this.tunWait = undefined;
    if (!wait) return;
    clearTimeout(wait.timer);
    wait.stopWatch?.();
  }
}
