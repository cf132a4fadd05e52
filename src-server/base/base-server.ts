// The base server: wires listeners, client state, message handling and observability together.
import { formatAddress } from '../../src-protocol/address.js';
import { formatEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import type { AcceptLog } from '../../src-shared/accept-errors.js';
import { refusalReporter } from '../connection-slots.js';
import { AddressBook } from './address-book.js';
import { Authenticator } from './authentication.js';
import { ClientRegistry } from './client-registry.js';
import { Cluster, type ClusterStatus } from './cluster/cluster.js';
import type { BaseServerConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { DeviceAddresses } from './device-addresses.js';
import { BaseMetrics, renderPrometheus, type Counters, type Gauges } from './metrics.js';
import { NetcheckReflector } from './netcheck-reflector.js';
import { Relay } from './relay.js';
import { StatusHttp, type StatusSource } from './status-http.js';
import { TcpListener } from './tcp-listener.js';
import { TcpMessages } from './tcp-messages.js';
import {
  SocketDrops,
  UdpListener,
  udpSocketsForThisHost,
  type UdpPacketHandler,
  type UdpSockets,
} from './udp-listener.js';
import { UdpMessages } from './udp-messages.js';

/** How often connections are checked against the authentication and idle timeouts. */
const SWEEP_INTERVAL_MS = 1000;
const UDP_ERROR_LOG_INTERVAL_MS = 60_000;

export interface DeviceStatus {
  address: string;
  remote: string;
  userAgent: string | null;
  connectedSince: string;
  natObserved: string | null;
  udpFresh: boolean;
  /** Bytes written to the client that it has not read yet. */
  queuedBytes: number;
}

export interface BaseStatus extends Gauges {
  listening: { tcp: string[]; udp: string[]; netcheckUdp: string | null; metrics: string | null };
  counters: Counters;
  interests: number;
  devices: DeviceStatus[];
  /** The other bases this one relays to and learns devices from; null when it stands alone. */
  cluster: ClusterStatus | null;
}

const isWildcard = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';

/** Where the other bases of the cluster reach this one: its first UDP socket and TCP listener. */
function clusterAddresses(config: BaseServerConfig, server: BaseServer): { udp: Endpoint; tcp: Endpoint } {
  const udp = server.udpAddresses[0]!;
  const tcp = server.tcpAddresses[0]!;
  // Given explicitly, it is the address others use whatever this host binds (a NAT may sit between).
  const explicit = config.cluster?.ip;
  if (explicit) return { udp: { ip: explicit, port: udp.port }, tcp: { ip: explicit, port: tcp.port } };
  const ip = config.advertiseIp ?? (isWildcard(udp.ip) ? undefined : udp.ip);
  if (ip === undefined)
    throw new Error(
      'A base in a cluster must say where the other bases reach it: give --advertise IP or --cluster-ip IP',
    );
  return {
    udp: { ip: isWildcard(udp.ip) ? ip : udp.ip, port: udp.port },
    tcp: { ip: isWildcard(tcp.ip) ? ip : tcp.ip, port: tcp.port },
  };
}

/** Events with fields, as lines of the base's plain log. */
function eventLog(log: (line: string) => void): AcceptLog {
  const write = (event: string, fields: Record<string, string | number | undefined> = {}): void =>
    log(
      [
        event,
        ...Object.entries(fields).flatMap(([key, value]) => (value === undefined ? [] : [`${key}=${value}`])),
      ].join(' '),
    );
  return { info: write, warn: write, error: write };
}

export class BaseServer implements StatusSource {
  private readonly startedAt = Date.now();
  private readonly sweeper: NodeJS.Timeout;
  private http: StatusHttp | undefined;
  private cluster: Cluster | undefined;

  private constructor(
    private readonly config: BaseServerConfig,
    private readonly registry: ClientRegistry,
    private readonly book: AddressBook,
    private readonly metrics: BaseMetrics,
    private readonly tcp: TcpListener,
    private readonly udp: UdpListener,
    private readonly netcheck: NetcheckReflector,
    /** Which socket the UDP runs on: the addon's batched one, or node:dgram without it. */
    readonly udpSockets: UdpSockets,
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** `udpSockets`: by default the batched socket where the addon loads, else node:dgram. */
  static async start(
    config: BaseServerConfig,
    log: (line: string) => void = () => {},
    udpSockets: UdpSockets = udpSocketsForThisHost(),
  ): Promise<BaseServer> {
    const metrics = new BaseMetrics();
    if (udpSockets.kind === 'dgram')
      log(`UDP runs on node:dgram, one datagram per call, which relays less: ${udpSockets.reason}`);
    const registry = new ClientRegistry();
    const book = new AddressBook(config.limits.maxInterestsPerClient);
    const addresses = new DeviceAddresses(book, registry, metrics);
    const authenticator = new Authenticator(registry, metrics, (device) => addresses.online(device));

    let lastUdpErrorLog = -Infinity;
    const onUdpError = (error: Error): void => {
      // Send errors (an unreachable network, a firewall) can come once per packet: count them all,
      // log a sample.
      metrics.drop('udp_send_failed');
      const now = Date.now();
      if (now - lastUdpErrorLog < UDP_ERROR_LOG_INTERVAL_MS) return;
      lastUdpErrorLog = now;
      log(`UDP error: ${error.message}`);
    };
    // The UDP handler needs the relay, which needs the bound sockets: bind first, attach after.
    let onPacket: UdpPacketHandler = () => {};
    const drops = new SocketDrops(metrics);
    const udp = await UdpListener.bind(
      config.udp,
      (index, packet, ip, port, key) => onPacket(index, packet, ip, port, key),
      onUdpError,
      udpSockets.open,
      drops,
    );
    const netcheckAt =
      config.netcheckUdp === undefined && config.udp[0]
        ? { ip: config.udp[0].ip, port: 0 }
        : config.netcheckUdp;
    let netcheck: NetcheckReflector;
    try {
      netcheck = await NetcheckReflector.bind(
        netcheckAt ?? undefined,
        metrics,
        onUdpError,
        udpSockets.open,
        drops,
      );
    } catch (error) {
      udp.close();
      throw error;
    }
    const relay = new Relay(registry, udp, metrics, config.limits.natMappingFreshMs);
    const udpMessages = new UdpMessages({
      registry,
      authenticator,
      addresses,
      relay,
      metrics,
      udp,
      netcheck,
    });
    onPacket = (index, packet, ip, port, key) => udpMessages.packet(index, packet, ip, port, key);

    const events = eventLog(log);
    const slotLimits = {
      total: config.limits.maxConnections,
      perSource: config.limits.maxConnectionsPerSource,
    };
    const reportRefusal = refusalReporter(events, 'base-tcp', slotLimits);
    const udpBound = udp.addresses;
    const stateEndpoints = (connection: ClientConnection): Endpoint[] =>
      udpBound.map((bound) => ({
        ip: config.advertiseIp ?? (isWildcard(bound.ip) ? connection.localIp : bound.ip),
        port: bound.port,
      }));
    let server: BaseServer | undefined;
    try {
      const tcpMessages = new TcpMessages({
        registry,
        authenticator,
        addresses,
        relay,
        metrics,
        limits: config.limits,
        stateEndpoints,
      });
      server = new BaseServer(
        config,
        registry,
        book,
        metrics,
        await TcpListener.listen(config.tcp, tcpMessages, {
          limits: slotLimits,
          refused: (reason) => {
            metrics.closed(reason);
            reportRefusal(reason);
          },
          log: events,
        }),
        udp,
        netcheck,
        udpSockets,
      );
      if (config.metrics) server.http = await StatusHttp.listen(config.metrics, server, events);
      if (config.cluster) {
        const cluster = await Cluster.join(config.cluster.database, clusterAddresses(config, server), {
          registry,
          metrics,
          udp,
          deliver: (message, now) => relay.deliver(message, now),
          localEndpoints: (key) => addresses.endpointsOf(key),
          push: (id, key, endpoints) => addresses.push(id, key, endpoints),
          log,
        });
        server.cluster = cluster;
        addresses.cluster = cluster;
        relay.elsewhere = cluster;
      }
    } catch (error) {
      if (server) await server.close();
      else {
        udp.close();
        netcheck.close();
      }
      throw error;
    }
    log(server.describe());
    return server;
  }

  get tcpAddresses(): Endpoint[] {
    return this.tcp.addresses;
  }

  get udpAddresses(): Endpoint[] {
    return this.udp.addresses;
  }

  /** The UDP address that answers only netcheck probes, if any. */
  get netcheckAddress(): Endpoint | undefined {
    return this.netcheck.address;
  }

  get metricsAddress(): Endpoint | undefined {
    return this.http?.address;
  }

  private describe(): string {
    const list = (endpoints: Endpoint[]) => endpoints.map(formatEndpoint).join(', ');
    const metrics = this.http ? `, metrics on http://${formatEndpoint(this.http.address)}/metrics` : '';
    const advertise = this.config.advertiseIp ? `, advertising ${this.config.advertiseIp}` : '';
    const netcheck = this.netcheckAddress ? ` (netcheck UDP ${formatEndpoint(this.netcheckAddress)})` : '';
    return `base server listening on TCP ${list(this.tcpAddresses)} and UDP ${list(this.udpAddresses)}${netcheck}${advertise}${metrics}`;
  }

  private sweep(now: number): void {
    const { authTimeoutMs, idleTimeoutMs } = this.config.limits;
    for (const connection of this.registry.allConnections()) {
      if (!connection.device && connection.clusterBase === undefined) {
        if (now - connection.openedAt > authTimeoutMs) connection.close('auth_timeout');
      } else if (now - connection.lastHeardAt > idleTimeoutMs) {
        connection.close('idle_timeout');
      }
    }
  }

  private gauges(now: number): Gauges {
    let clientsOnUdp = 0;
    for (const device of this.registry.allDevices())
      if (device.udp && now - device.udp.refreshedAt < this.config.limits.natMappingFreshMs) clientsOnUdp++;
    return {
      tcpConnections: this.registry.connectionCount,
      clients: this.registry.deviceCount,
      clientsOnUdp,
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      residentBytes: process.memoryUsage.rss(),
    };
  }

  metricsText(): string {
    return renderPrometheus(this.metrics.counters, this.gauges(Date.now()));
  }

  status(): BaseStatus {
    const now = Date.now();
    const devices: DeviceStatus[] = [];
    for (const device of this.registry.allDevices()) {
      const connection = device.connection;
      devices.push({
        address: formatAddress(device.id),
        remote: connection.remote,
        userAgent: connection.userAgent ?? null,
        connectedSince: new Date(connection.openedAt).toISOString(),
        natObserved: device.udp ? formatEndpoint(device.udp.endpoint) : null,
        udpFresh:
          device.udp !== undefined && now - device.udp.refreshedAt < this.config.limits.natMappingFreshMs,
        queuedBytes: connection.socket.writableLength,
      });
    }
    return {
      ...this.gauges(now),
      listening: {
        tcp: this.tcpAddresses.map(formatEndpoint),
        udp: this.udpAddresses.map(formatEndpoint),
        netcheckUdp: this.netcheckAddress ? formatEndpoint(this.netcheckAddress) : null,
        metrics: this.http ? formatEndpoint(this.http.address) : null,
      },
      counters: this.metrics.counters,
      interests: this.book.size.interests,
      devices,
      cluster: this.cluster?.status(now) ?? null,
    };
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.cluster?.close();
    this.tcp.close();
    for (const connection of [...this.registry.allConnections()]) connection.close('shutdown');
    this.udp.close();
    this.netcheck.close();
    await this.http?.close();
  }
}
