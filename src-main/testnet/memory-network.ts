// An IPv4 LAN in memory for engines that run in one process: each host has one address on it,
// binds UDP ports (the engine's socket, LAN beacon sockets on 5581) and hands the engine
// what it would read from the machine (EngineNetwork). Datagrams arrive on a later turn of the
// event loop, as from a kernel; what the network refuses to carry is counted by reason, so a test
// can tell a cut link from a datagram nobody listens for. Multicast reaches every other host whose
// socket joined the group (LAN beacons), unless the LAN is set to filter it.
import type { Endpoint } from '../../src-protocol/endpoint.js';
import type { EngineNetwork } from '../engine/data-plane.js';
import type { LocalAddress } from '../engine/io/local-interfaces.js';
import type { DatagramHandler, OpenUdpSocket, UdpTarget, UdpTransport } from '../engine/io/udp-socket.js';
import type { BeaconSocket, OpenBeaconSocket } from '../engine/paths/lan-discovery.js';
import { endpointKey } from '../../src-protocol/endpoint.js';

const FIRST_EPHEMERAL_PORT = 40_000;
/** Bigger than any datagram the engine sends; a real path would refuse it too. */
const MAX_DATAGRAM = 65_507;

type Receiver = (message: Buffer, ip: string, port: number) => void;

interface Bound {
  receive: Receiver;
  /** Multicast groups joined (beacon sockets); undefined: a unicast socket. */
  groups?: Set<string>;
}

const isMulticast = (ip: string): boolean => /^2(2[4-9]|3\d)\./.test(ip) || ip.toLowerCase().startsWith('ff');

function addressInUse(port: number): Error {
  return Object.assign(new Error(`port ${port} is in use`), { code: 'EADDRINUSE' });
}

export class MemoryNetwork {
  /** Datagrams not carried, by reason: `cut`, `no-host`, `no-listener`, `beacons-off`, `too-big`. */
  readonly refused: Record<string, number> = {};
  /** Whether multicast (LAN beacons) is carried at all; false is a LAN whose switch filters it. */
  beacons = true;
  private readonly hosts = new Map<string, MemoryHost>();
  private readonly cuts = new Set<string>();
  private inFlight = 0;

  /** A host named `name` at `ip` (/24). */
  host(name: string, ip: string): MemoryHost {
    if (this.hosts.has(ip)) throw new Error(`${ip} is taken`);
    const host = new MemoryHost(this, name, ip);
    this.hosts.set(ip, host);
    return host;
  }

  /** Nothing passes between `a` and `b` (either way) until restore(). */
  cut(a: MemoryHost, b: MemoryHost): void {
    this.cuts.add(pairKey(a, b));
  }

  restore(a: MemoryHost, b: MemoryHost): void {
    this.cuts.delete(pairKey(a, b));
  }

  /** Datagrams sent but not yet handed to their socket. */
  get pending(): number {
    return this.inFlight;
  }

  /** A datagram from anyone (a host not running an engine, a forged source) to `to`. */
  inject(from: Endpoint, to: Endpoint, bytes: Uint8Array): void {
    this.route(undefined, from, bytes, to);
  }

  /** @internal Called by hosts' sockets. */
  route(sender: MemoryHost | undefined, from: Endpoint, bytes: Uint8Array, to: Endpoint): void {
    if (bytes.length > MAX_DATAGRAM) return this.refuse('too-big');
    if (isMulticast(to.ip)) {
      if (!this.beacons) return this.refuse('beacons-off');
      for (const host of this.hosts.values())
        if (sender && host !== sender) this.carry(sender, from, bytes, host, to);
      return;
    }
    const host = this.hosts.get(to.ip);
    if (!host) return this.refuse('no-host');
    this.carry(sender, from, bytes, host, to);
  }

  private carry(
    sender: MemoryHost | undefined,
    from: Endpoint,
    bytes: Uint8Array,
    host: MemoryHost,
    to: Endpoint,
  ): void {
    if (sender && this.cuts.has(pairKey(sender, host))) return this.refuse('cut');
    // Copied now: the sender may reuse its buffer once send() returns.
    const message = Buffer.from(bytes);
    this.inFlight++;
    setImmediate(() => {
      this.inFlight--;
      const bound = host.listener(to);
      if (!bound) return this.refuse('no-listener');
      bound.receive(message, from.ip, from.port);
    });
  }

  private refuse(reason: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
  }
}

const pairKey = (a: MemoryHost, b: MemoryHost): string => [a.ip, b.ip].sort().join('|');

/** One machine on the network: what its engine is given as EngineNetwork. */
export class MemoryHost {
  readonly network: EngineNetwork;
  private readonly unicast = new Map<number, Bound>();
  private readonly multicast = new Map<number, Bound[]>();
  private nextPort = FIRST_EPHEMERAL_PORT;

  constructor(
    private readonly net: MemoryNetwork,
    readonly name: string,
    readonly ip: string,
  ) {
    this.network = {
      openUdpSocket: this.openUdpSocket,
      openSocket: this.openBeaconSocket,
      localAddresses: () => this.addresses(),
    };
  }

  addresses(): LocalAddress[] {
    return [{ interfaceName: 'eth0', family: 'IPv4', ip: this.ip, scopeId: 0, prefixLength: 24 }];
  }

  /** @internal The socket a datagram to `to` reaches, if one listens. */
  listener(to: Endpoint): Bound | undefined {
    if (!isMulticast(to.ip)) return this.unicast.get(to.port);
    return this.multicast.get(to.port)?.find((bound) => bound.groups?.has(to.ip));
  }

  private readonly openUdpSocket: OpenUdpSocket = async (port, _dualStack, onDatagram) => {
    const bound = port === 0 ? this.freePort() : port;
    if (this.unicast.has(bound)) throw addressInUse(bound);
    const socket = new MemoryUdpSocket(this, bound, onDatagram);
    this.unicast.set(bound, { receive: (message, ip, from) => socket.receive(message, ip, from) });
    return socket;
  };

  private readonly openBeaconSocket: OpenBeaconSocket = async (_type, _address, port, onMessage) => {
    const groups = new Set<string>();
    const bound: Bound = { receive: (message, ip) => onMessage(message, ip), groups };
    const sockets = this.multicast.get(port) ?? [];
    this.multicast.set(port, [...sockets, bound]);
    const socket: BeaconSocket = {
      addMembership: (group) => void groups.add(group),
      setMulticastInterface: () => undefined,
      send: (beacon, toPort, group) =>
        this.send({ ip: this.ip, port }, beacon, { ip: group.split('%')[0]!, port: toPort }),
      close: () => {
        groups.clear();
        this.multicast.set(
          port,
          (this.multicast.get(port) ?? []).filter((b) => b !== bound),
        );
      },
    };
    return socket;
  };

  /** @internal */
  send(from: Endpoint, bytes: Uint8Array, to: Endpoint): void {
    this.net.route(this, from, bytes, to);
  }

  /** @internal */
  unbind(port: number): void {
    this.unicast.delete(port);
  }

  private freePort(): number {
    while (this.unicast.has(this.nextPort)) this.nextPort++;
    return this.nextPort++;
  }
}

class MemoryUdpSocket implements UdpTransport {
  private closed = false;

  constructor(
    private readonly host: MemoryHost,
    readonly port: number,
    private readonly onDatagram: DatagramHandler,
  ) {}

  /** The network never fails a send: what it cannot carry, it counts. */
  onError(): void {}

  target(endpoint: Endpoint): UdpTarget {
    return { address: endpoint.ip, port: endpoint.port };
  }

  send(bytes: Uint8Array, target: UdpTarget): void {
    if (this.closed) return;
    this.host.send({ ip: this.host.ip, port: this.port }, bytes, { ip: target.address, port: target.port });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.unbind(this.port);
  }

  receive(message: Buffer, ip: string, port: number): void {
    if (this.closed) return;
    this.onDatagram(message, ip, port, endpointKey({ ip, port }), performance.now());
  }
}
