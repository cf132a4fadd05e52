// Engines on the in-memory network, in this process: each node is a real Engine with its real data
// plane (peers, paths, sessions, LAN discovery, packet router), on a MemoryHost's sockets and a
// MemoryTun. With a base server, it is the real BaseServer on loopback TCP: the engine dials the
// base with node:net, which the network does not replace, and its UDP to the base finds no host on
// the network, so relayed traffic goes over TCP (as for a node whose UDP to the base is blocked).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverlayAddress } from '../../src-protocol/address.js';
import { equalBytes } from '../../src-protocol/bytes.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { BaseServer } from '../../src-server/base/base-server.js';
import { defaultLimits } from '../../src-server/base/limits.js';
import type { PeerReport, Status } from '../contract/status.js';
import { createDataPlane } from '../engine/data-plane.js';
import { Engine } from '../engine/engine.js';
import { createLogger } from '../engine/log.js';
import { MemoryNetwork, type MemoryHost } from './memory-network.js';
import { echoPacket, MemoryTun, parseEcho } from './memory-tun.js';
import { onPath, type TwoNodes } from './scenarios.js';
import { VirtualClock } from './test-clock.js';

export interface TestNode {
  readonly name: string;
  readonly host: MemoryHost;
  readonly tun: MemoryTun;
  readonly engine: Engine;
  /** Its overlay address, as text and as bytes. */
  readonly address: string;
  readonly addressBytes: Uint8Array;
}

export interface TestNetOptions {
  /** Node names; each gets 10.0.0.<n>, all on one LAN. */
  names: readonly string[];
  /** A real base server on loopback for every node (default: none, LAN only). */
  base?: boolean;
  /** Whether every node is introduced to every other (whitelist and hosts); default true. */
  introduce?: boolean;
  /** Whether the LAN carries multicast (LAN beacons); default true. */
  beacons?: boolean;
}

let echoId = 1;

export class TestNet {
  readonly network = new MemoryNetwork();
  /** The engines' time, which passes only while a test waits on it. */
  readonly clock = new VirtualClock(this.network);
  readonly nodes = new Map<string, TestNode>();
  private base: BaseServer | undefined;

  private constructor(private readonly dir: string) {}

  static async start(options: TestNetOptions): Promise<TestNet> {
    await initCrypto();
    const net = new TestNet(await mkdtemp(join(tmpdir(), 'hnet-testnet-')));
    net.network.beacons = options.beacons ?? true;
    try {
      const servers = options.base ? [await net.startBase()] : [];
      for (const [i, name] of options.names.entries()) await net.startNode(name, `10.0.0.${i + 1}`, servers);
      if (options.introduce !== false)
        for (const node of net.nodes.values())
          for (const other of net.nodes.values()) if (other !== node) await net.allow(node, other);
    } catch (error) {
      await net.stop();
      throw error;
    }
    return net;
  }

  node(name: string): TestNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** `node` may talk to `other`, and knows it by name. */
  async allow(node: TestNode, other: TestNode): Promise<void> {
    const added = await node.engine.whitelist.add(other.address);
    if (!added.ok) throw new Error(added.error.message);
    const named = await node.engine.hosts.add({ hostname: other.name, address: other.address });
    if (!named.ok) throw new Error(named.error.message);
  }

  until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
    return this.clock.until(what, check);
  }

  /** `from`'s entry for `to` in `hnet status`, as it is now. */
  peer(from: string, to: string): PeerReport | undefined {
    const address = this.node(to).address;
    return this.status(from).peers.find((p) => p.address === address);
  }

  status(name: string): Status {
    return this.node(name).engine.status();
  }

  /**
   * One ICMPv6 echo from `from`'s device to `to`'s: true when the reply came back into `from`'s
   * device within `waitMs` of the clock, as `ping -c 1 -W` would say.
   */
  async ping(from: string, to: string, waitMs = 1_000): Promise<boolean> {
    const source = this.node(from);
    const destination = this.node(to).addressBytes;
    const id = echoId++ & 0xffff;
    const seen = source.tun.written.length;
    if (
      !source.tun.send(echoPacket({ kind: 'request', source: source.addressBytes, destination, id, seq: 1 }))
    )
      return false;
    const answered = () =>
      source.tun.written.slice(seen).some((packet) => {
        const echo = parseEcho(packet);
        return echo?.kind === 'reply' && echo.id === id && equalBytes(echo.source, destination);
      });
    const start = this.clock.now();
    while (!answered()) {
      if (this.clock.now() - start > waitMs) return false;
      await this.clock.pass();
    }
    return true;
  }

  /** Pings until one is answered (the first packets may wait for a handshake). */
  pingUntilAnswered(from: string, to: string): Promise<true> {
    return this.until(`a ping from ${from} to ${to} answered`, async () =>
      (await this.ping(from, to)) ? true : undefined,
    );
  }

  /** The conformance scenarios' view of nodes `a` and `b` (scenarios.ts). */
  twoNodes(a: string, b: string): TwoNodes {
    const [hostA, hostB] = [this.node(a).host, this.node(b).host];
    return {
      a,
      b,
      ping: (from, to) => this.ping(from, to),
      waitPath: (from, to, kind) =>
        this.until(`${from} showing ${to} ${kind}`, () => {
          const peer = this.peer(from, to);
          return peer && onPath(peer, kind) ? peer : undefined;
        }),
      cutDirect: async () => this.network.cut(hostA, hostB),
      restoreDirect: async () => this.network.restore(hostA, hostB),
    };
  }

  async stop(): Promise<void> {
    for (const node of this.nodes.values()) await node.engine.stop();
    this.clock.stop();
    await this.base?.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async startBase(): Promise<string> {
    this.base = await BaseServer.start({
      tcp: [{ ip: '127.0.0.1', port: 0 }],
      udp: [{ ip: '127.0.0.1', port: 0 }],
      advertiseIp: undefined,
      metrics: undefined,
      limits: defaultLimits,
    });
    return `127.0.0.1:${this.base.tcpAddresses[0]!.port}`;
  }

  private async startNode(name: string, ip: string, baseServers: string[]): Promise<void> {
    const host = this.network.host(name, ip);
    const tun = new MemoryTun();
    const started = await Engine.start({
      config: {
        stateDir: join(this.dir, name),
        controlSocket: join(this.dir, `${name}.sock`),
        helperSocket: join(this.dir, 'helper.sock'),
        baseServers,
        udpPort: 5582,
        hostname: name,
        // The lane needs the addon's own socket; every packet here takes the JavaScript path.
        dataLane: 'off',
        logLevel: 'error',
      },
      log: createLogger('error'),
      writeHosts: async () => undefined,
      dataPlane: createDataPlane({ openTun: tun.open, network: host.network }),
    });
    if (!started.ok) throw new Error(`${name} did not start: ${started.error.message}`);
    const engine = started.value;
    const addressBytes = parseOverlayAddress(engine.address)!;
    this.nodes.set(name, { name, host, tun, engine, address: engine.address, addressBytes });
  }
}
