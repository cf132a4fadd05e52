// LAN discovery (PROTOCOL.md §6): an 18-byte beacon (our UDP port and id) to 224.3.252.148 and
// ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac on UDP 5581, on every interface but loopback and the
// overlay, every 25 s and whenever our addresses change. Beacons are unauthenticated: one only
// names an endpoint worth a signed HELLO, and only from private, link-local or on-link sources. This is
// how two nodes on one LAN find each other with no base server at all.
import { createSocket } from 'node:dgram';
import { equalBytes } from '../../../src-protocol/bytes.js';
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import {
  decodeLanBeacon,
  encodeLanBeacon,
  isLanBeaconSource,
  LAN_BEACON_GROUP_V4,
  LAN_BEACON_GROUP_V6,
  LAN_BEACON_PORT,
} from '../../../src-protocol/lan-beacon.js';
import type { DropCounter } from '../drops.js';
import { errorText } from '../../contract/errors.js';
import {
  addressesKey,
  isOnLink,
  type LocalAddress,
  type LocalAddressSource,
} from '../io/local-interfaces.js';
import { canonicalIp } from '../io/udp-dgram-socket.js';
import type { Identity } from '../../../src-protocol/identity.js';
import type { Logger } from '../log.js';

/** Stock peers beacon this often. */
const BEACON_INTERVAL_MS = 25_000;
/** How often interfaces are checked for new addresses (Node has no change notification). */
const INTERFACE_CHECK_MS = 5_000;
/** A beacon from a peer we have not heard before is answered with ours, at most this often. */
const ANSWER_GAP_MS = 1_000;
const SEEN_LIMIT = 1024;

export type BeaconListener = (id: Uint8Array, endpoint: Endpoint) => void;

/** A bound socket beacons travel on: node:dgram's here, an in-memory one in src-main/testnet. */
export interface BeaconSocket {
  addMembership(group: string, iface: string): void;
  setMulticastInterface(iface: string): void;
  send(beacon: Uint8Array, port: number, group: string): void;
  close(): void;
}

/**
 * Binds `port` on `address`, our own multicast not looped back; throws an error with `code`
 * (EMFILE…) when it cannot. Datagrams reach `onMessage` with their source's canonical ip.
 */
export type OpenBeaconSocket = (
  type: 'udp4' | 'udp6',
  address: string,
  port: number,
  onMessage: (message: Buffer, ip: string) => void,
  onError: () => void,
) => Promise<BeaconSocket>;

/** What discovery sees of the machine: its beacon sockets and its addresses. */
export interface LanIo {
  openSocket: OpenBeaconSocket;
  localAddresses: LocalAddressSource;
}

export const openDgramBeaconSocket: OpenBeaconSocket = async (type, address, port, onMessage, onError) => {
  const socket = createSocket({ type, reuseAddr: true, ipv6Only: type === 'udp6' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw error;
  }
  socket.setMulticastLoopback(false);
  socket.on('error', onError);
  socket.on('message', (message, from) => onMessage(message, canonicalIp(from.address)));
  return socket;
};

export class LanDiscovery {
  private v4: BeaconSocket | undefined;
  private v6: BeaconSocket | undefined;
  private addresses: LocalAddress[] = [];
  private key = '';
  private readonly joined = new Set<string>();
  private readonly seen = new Set<string>();
  private lastAnswerAt = -Infinity;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  /** Sockets that could not open for lack of file descriptors: tried again with each check. */
  private readonly reopen = new Set<'udp4' | 'udp6'>();
  private reopening = false;
  private readonly beacon: Uint8Array;

  constructor(
    private readonly c: { identity: Identity; log: Logger },
    udpPort: number,
    private readonly drops: DropCounter,
    private readonly onBeacon: BeaconListener,
    /** Our addresses changed (the base should hear a fresh INFO). */
    private readonly onAddressesChanged: () => void,
    /** The machine's (data-plane.ts), or a test network's. */
    private readonly io: LanIo,
  ) {
    const encoded = encodeLanBeacon({ port: udpPort, id: c.identity.address });
    if (!encoded.ok) throw new Error(`cannot build a LAN beacon: ${encoded.error.message}`);
    this.beacon = encoded.value;
  }

  /** Starts once; later calls (the TUN device reopened) change nothing. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.v4 = await this.open('udp4', '0.0.0.0');
    this.v6 = await this.open('udp6', '::');
    this.checkInterfaces();
    this.timers = [
      setInterval(() => this.checkInterfaces(), INTERFACE_CHECK_MS),
      setInterval(() => this.announce(), BEACON_INTERVAL_MS),
    ];
  }

  /** Whether beacons go out now, and on which interfaces (`hnet netcheck`). */
  report(): { beaconing: boolean; interfaces: string[] } {
    const beaconing = this.timers.length > 0 && (this.v4 !== undefined || this.v6 !== undefined);
    return {
      beaconing,
      interfaces: beaconing ? [...new Set(this.addresses.map((a) => a.interfaceName))] : [],
    };
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.v4?.close();
    this.v6?.close();
    this.v4 = this.v6 = undefined;
  }

  private async open(type: 'udp4' | 'udp6', address: string): Promise<BeaconSocket | undefined> {
    let socket: BeaconSocket;
    try {
      socket = await this.io.openSocket(
        type,
        address,
        LAN_BEACON_PORT,
        (message, ip) => this.receive(message, ip),
        () => this.drops.count('lan-socket-error'),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const outOfFds = code === 'EMFILE' || code === 'ENFILE';
      const wasRetry = this.reopen.delete(type);
      if (outOfFds) this.reopen.add(type);
      if (!wasRetry || !outOfFds)
        this.c.log.warn('lan-discovery-unavailable', {
          family: type,
          reason: errorText(error),
          retry: outOfFds,
        });
      return undefined;
    }
    this.reopen.delete(type);
    return socket;
  }

  private checkInterfaces(): void {
    if (this.reopen.size > 0 && !this.reopening) void this.reopenSockets();
    const addresses = this.io.localAddresses(this.c.log);
    const key = addressesKey(addresses);
    if (key === this.key) return;
    const first = this.key === '';
    this.key = key;
    this.addresses = addresses;
    for (const address of addresses) this.join(address);
    this.announce();
    if (!first) this.onAddressesChanged();
  }

  private async reopenSockets(): Promise<void> {
    this.reopening = true;
    for (const type of [...this.reopen]) {
      const socket = await this.open(type, type === 'udp4' ? '0.0.0.0' : '::');
      if (!socket) continue;
      if (this.timers.length === 0) return void socket.close();
      if (type === 'udp4') this.v4 = socket;
      else this.v6 = socket;
      this.c.log.info('lan-discovery-available', { family: type });
      // Group memberships belong to the socket: join again at the next check.
      const family = type === 'udp4' ? 'IPv4/' : 'IPv6/';
      for (const id of this.joined) if (id.startsWith(family)) this.joined.delete(id);
      this.key = '';
    }
    this.reopening = false;
  }

  /** Joins the group on the interface of `address`, once per interface and family. */
  private join(address: LocalAddress): void {
    const v4 = address.family === 'IPv4';
    const socket = v4 ? this.v4 : this.v6;
    const iface = v4 ? address.ip : `::%${address.interfaceName}`;
    const id = `${address.family}/${iface}`;
    if (!socket || this.joined.has(id)) return;
    try {
      socket.addMembership(v4 ? LAN_BEACON_GROUP_V4 : LAN_BEACON_GROUP_V6, iface);
      this.joined.add(id);
    } catch (error) {
      // Usually: the interface is down or has no multicast; the next address change retries.
      this.c.log.debug('lan-join-failed', { interface: address.interfaceName, reason: errorText(error) });
    }
  }

  /** One beacon out of every interface that has an address (IPv4) or a link (IPv6). */
  private announce(): void {
    const v6Interfaces = new Set<string>();
    for (const address of this.addresses) {
      if (address.family === 'IPv4') this.sendOn(this.v4, address.ip, LAN_BEACON_GROUP_V4);
      else if (!v6Interfaces.has(address.interfaceName)) {
        v6Interfaces.add(address.interfaceName);
        this.sendOn(
          this.v6,
          `::%${address.interfaceName}`,
          `${LAN_BEACON_GROUP_V6}%${address.interfaceName}`,
        );
      }
    }
  }

  private sendOn(socket: BeaconSocket | undefined, iface: string, group: string): void {
    if (!socket) return;
    try {
      socket.setMulticastInterface(iface);
      socket.send(this.beacon, LAN_BEACON_PORT, group);
    } catch (error) {
      this.c.log.debug('lan-beacon-failed', { interface: iface, reason: errorText(error) });
    }
  }

  private receive(message: Buffer, ip: string): void {
    const decoded = decodeLanBeacon(message);
    if (!decoded.ok) return this.drops.count('lan-beacon-malformed');
    const { id, port } = decoded.value;
    if (equalBytes(id, this.c.identity.address)) return;
    if (!isLanBeaconSource(ip) && !isOnLink(ip, this.addresses))
      return this.drops.count('lan-beacon-public-source');
    // A link-local IPv6 source is useless without its zone, and Node may not report one.
    if (ip.startsWith('fe80') && !ip.includes('%')) return this.drops.count('lan-beacon-no-zone');
    this.onBeacon(id.slice(), { ip, port });
    const idKey = `${ip}|${port}|${String.fromCharCode(...id)}`;
    if (this.seen.has(idKey)) return;
    if (this.seen.size >= SEEN_LIMIT) this.seen.clear();
    this.seen.add(idKey);
    const now = performance.now();
    if (now - this.lastAnswerAt < ANSWER_GAP_MS) return;
    this.lastAnswerAt = now;
    // A newcomer hears about us now instead of at our next 25 s beacon.
    this.announce();
  }
}
