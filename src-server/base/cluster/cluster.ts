// Several base servers acting as one (docs/decisions.md, "A base cluster on PostgreSQL"): each
// keeps its own clients, publishes who they are and where they can be reached in the shared
// registry (cluster-directory.ts), answers REQUEST_INFO and pushes late endpoints for devices held
// by other bases, and relays DATA to them base to base (base-link.ts, cluster-wire.ts).
import { FRAME_HEADER_LENGTH, PEER_TO_BASE_DATA_TARGET_AT } from '../../../src-protocol/base-messages.js';
import { equalBytes } from '../../../src-protocol/bytes.js';
import { formatEndpoint, type Endpoint } from '../../../src-protocol/endpoint.js';
import { ReplayWindow } from '../../../src-protocol/security/replay-window.js';
import type { ClientRegistry } from '../client-registry.js';
import { idKey, type ClientConnection } from '../connection.js';
import type { BaseMetrics } from '../metrics.js';
import type { UdpListener } from '../udp-listener.js';
import { BaseLink } from './base-link.js';
import { ClusterDirectory, type ClusterBase, type DeviceClaim } from './cluster-directory.js';
import {
  openCluster,
  peekSender,
  sealCluster,
  type ClusterPacket,
  type ClusterType,
} from './cluster-wire.js';

/** Packets from one base may arrive this far out of order (UDP and TCP interleaved). */
const REPLAY_WINDOW = 4096;

/** What the cluster needs from the rest of the base. */
export interface ClusterHooks {
  registry: ClientRegistry;
  metrics: BaseMetrics;
  udp: UdpListener;
  /** Hands DATA from another base to a client of ours (never back into the cluster). */
  deliver(message: Uint8Array, now: number): void;
  /** What DEVICE_ADDRESSES lists for a device of ours. */
  localEndpoints(key: string): Endpoint[];
  /** Tells the clients that asked about a device of another base its endpoints. */
  push(id: Uint8Array, key: string, endpoints: readonly Endpoint[]): void;
  log(line: string): void;
}

export interface ClusterStatus {
  id: string;
  /** As the last heartbeat found it (one goes every 2 s), and when that was. */
  database: 'reachable' | 'unreachable';
  databaseCheckedAt: string;
  /** Devices the other bases hold. */
  remoteDevices: number;
  bases: { id: string; udp: string; tcp: string; udpAnswering: boolean; tcpLinked: boolean }[];
}

export class Cluster {
  private readonly links = new Map<string, BaseLink>();
  /**
   * Counters seen from each base, over both paths. Kept apart from the links: a base may speak
   * before we have heard that it joined, and its packets prove they are the cluster's by their tag.
   */
  private readonly windows = new Map<string, ReplayWindow>();
  private counter = 0n;
  private directory!: ClusterDirectory;

  private constructor(private readonly hooks: ClusterHooks) {}

  /** Joins the cluster whose registry is the PostgreSQL database at `url`. */
  static async join(url: string, own: Omit<ClusterBase, 'id'>, hooks: ClusterHooks): Promise<Cluster> {
    const cluster = new Cluster(hooks);
    cluster.directory = await ClusterDirectory.open(
      url,
      own,
      {
        deviceChanged: (id, key, claim) => cluster.deviceChanged(id, key, claim),
        basesChanged: () => cluster.basesChanged(),
        rejoined: () => cluster.republish(),
      },
      hooks.log,
    );
    await cluster.directory.join().catch(async (error: Error) => {
      await cluster.directory.close();
      throw new Error(`cannot join the base cluster: ${error.message}`);
    });
    hooks.log(
      `base cluster joined as ${cluster.directory.baseId} (${formatEndpoint(own.udp)} UDP, ${formatEndpoint(own.tcp)} TCP)`,
    );
    return cluster;
  }

  private seal(type: ClusterType, body: Uint8Array, headroom = 0): Uint8Array {
    return sealCluster(this.directory.key, type, this.directory.idBytes, ++this.counter, body, headroom);
  }

  private basesChanged(): void {
    const alive = new Set<string>();
    for (const base of this.directory.bases()) {
      alive.add(base.id);
      // A base's endpoints never change under its id: a restarted base joins with a new one.
      if (this.links.has(base.id)) continue;
      this.links.set(
        base.id,
        new BaseLink(
          base,
          {
            seal: (type, body, headroom) => this.seal(type, body, headroom),
            sendUdp: (packet, to) => this.hooks.udp.send(packet, to),
            log: this.hooks.log,
          },
          this.hooks.udp.target(base.udp),
        ),
      );
    }
    for (const [id, link] of this.links)
      if (!alive.has(id)) {
        link.close();
        this.links.delete(id);
      }
    for (const id of this.windows.keys()) if (!alive.has(id)) this.windows.delete(id);
  }

  private deviceChanged(id: Uint8Array, key: string, claim: DeviceClaim | undefined): void {
    const local = this.hooks.registry.device(key);
    if (local && claim) {
      // The device connected to another base too: the newer connection is the one it uses.
      if (claim.since > local.connection.openedAt) local.connection.close('moved');
      else this.publish(local.connection);
      return;
    }
    if (!local && claim && claim.endpoints.length > 0) this.hooks.push(id, key, claim.endpoints);
  }

  /** Every device of ours, after the registry lost them (our base was taken for gone). */
  private republish(): void {
    for (const device of this.hooks.registry.allDevices()) this.publish(device.connection);
  }

  /** One of our devices connected or its endpoints changed. */
  publish(connection: ClientConnection): void {
    const device = connection.device;
    if (device) this.directory.publish(device.id, connection.openedAt, this.hooks.localEndpoints(device.key));
  }

  withdraw(id: Uint8Array): void {
    this.directory.withdraw(id);
  }

  /** What DEVICE_ADDRESSES lists for a device another base holds. */
  endpointsOf(key: string): readonly Endpoint[] {
    return this.directory.claim(key)?.endpoints ?? [];
  }

  /** DATA for a target that is not ours: to the base that holds it, or dropped and counted. */
  forward(message: Uint8Array, now: number): void {
    const { metrics } = this.hooks;
    const claim = this.directory.claim(idKey(message, PEER_TO_BASE_DATA_TARGET_AT));
    const link = claim && this.links.get(claim.baseId);
    if (!link) return metrics.drop('target_offline');
    const sent = link.send(this.seal('data', message, FRAME_HEADER_LENGTH), now);
    switch (sent) {
      case 'udp':
        return metrics.relayed('cluster_udp', message.length);
      case 'tcp':
        return metrics.relayed('cluster_tcp', message.length);
      case 'unreachable':
        return metrics.drop('cluster_unreachable');
      default:
        return metrics.drop(sent);
    }
  }

  /** A cluster packet on our UDP socket, from the source with this endpointKey. */
  udpPacket(packet: Uint8Array, sourceKey: string, now: number): void {
    const link = this.links.get(peekSender(packet) ?? '');
    // Only from where that base said it is: a stranger's packets cost no HMAC.
    if (link?.udpKey !== sourceKey) return this.hooks.metrics.drop('cluster_stranger');
    const opened = this.open(packet);
    if (!opened) return;
    switch (opened.type) {
      case 'data':
        return this.hooks.deliver(opened.body, now);
      case 'ping': {
        const pong = this.seal('pong', new Uint8Array(0));
        return this.hooks.udp.send(pong, link.udpTarget);
      }
      case 'pong':
        link.lastPongAt = now;
        return;
      case 'hello':
        return this.hooks.metrics.drop('wrong_transport');
    }
  }

  /** A cluster packet framed on a TCP connection to our listener. */
  tcpFrame(connection: ClientConnection, packet: Uint8Array, now: number): void {
    const opened = this.open(packet);
    if (!opened) return;
    switch (opened.type) {
      case 'hello':
        if (!equalBytes(opened.body, connection.cookie)) return this.hooks.metrics.drop('bad_cookie');
        connection.clusterBase = opened.sender;
        return;
      case 'data':
        if (connection.clusterBase !== opened.sender) return this.hooks.metrics.drop('unauthenticated');
        return this.hooks.deliver(opened.body, now);
      case 'ping':
        return;
      case 'pong':
        return this.hooks.metrics.drop('wrong_transport');
    }
  }

  private open(packet: Uint8Array): ClusterPacket | undefined {
    const opened = openCluster(this.directory.key, packet);
    if (typeof opened === 'string') {
      this.hooks.metrics.drop(opened === 'bad_tag' ? 'cluster_bad_tag' : 'malformed');
      return undefined;
    }
    let window = this.windows.get(opened.sender);
    if (!window) this.windows.set(opened.sender, (window = new ReplayWindow(REPLAY_WINDOW)));
    const counter = Number(opened.counter);
    if (window.check(counter) !== 'fresh') {
      this.hooks.metrics.drop('replayed');
      return undefined;
    }
    window.commit(counter);
    return opened;
  }

  status(now: number): ClusterStatus {
    return {
      id: this.directory.baseId,
      database: this.directory.databaseReachable ? 'reachable' : 'unreachable',
      databaseCheckedAt: new Date(this.directory.databaseCheckedAt).toISOString(),
      remoteDevices: this.directory.remoteDevices,
      bases: [...this.links.values()].map((link) => ({
        id: link.base.id,
        udp: formatEndpoint(link.base.udp),
        tcp: formatEndpoint(link.base.tcp),
        udpAnswering: link.udpAlive(now),
        tcpLinked: link.tcpReady,
      })),
    };
  }

  async close(): Promise<void> {
    for (const link of this.links.values()) link.close();
    this.links.clear();
    await this.directory.close();
  }
}
