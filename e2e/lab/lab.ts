import {
  createNamespace,
  deleteNamespaces,
  deleteNamespacesSync,
  givePrivateHostsFile,
  listNamespaces,
} from './namespaces.js';
import { onProcessExit } from './exit-hooks.js';
import { Host } from './host.js';
import { NetNode, type ProcessRegistry } from './net-node.js';
import { claimPrefix, newLabPrefix, releasePrefix, sweepStaleLabs } from './ownership.js';
import type { LabProcess } from './process.js';
import type { PortMappingOptions } from './port-mapping-daemon.js';
import { Router, lanInterface, wanInterface, type NatMode } from './router.js';
import { Segment } from './segment.js';

export interface RouterOptions {
  /** The upstream side, usually the Internet segment. */
  readonly wan: Segment;
  /** The segment this router serves as gateway; it must not have one yet. */
  readonly lan: Segment;
  readonly mode?: NatMode;
  /** Run miniupnpd, answering these port-mapping protocols (see `Router.startPortMapping`). */
  readonly portMapping?: PortMappingOptions;
}

export interface HostOptions {
  readonly on: Segment;
}

// Bridge ports are named `p-<name>` and Linux interface names end at 15 characters.
const validName = /^[a-z][a-z0-9]{0,11}$/;

/** One run's set of namespaces and processes, all gone after `destroy()` or process exit. */
export class Lab implements ProcessRegistry {
  private readonly names = new Set<string>();
  private readonly processes = new Set<LabProcess>();
  private segmentCount = 0;
  private building: Promise<unknown> = Promise.resolve();
  private destruction: Promise<void> | undefined;
  private readonly forgetExitHook: () => void;

  /** Sweeps namespaces left by crashed earlier runs, then claims a fresh prefix. */
  static async create(): Promise<Lab> {
    await sweepStaleLabs();
    const prefix = newLabPrefix();
    claimPrefix(prefix);
    return new Lab(prefix);
  }

  private constructor(
    /** `hn` + 5 base36 characters; every namespace of this lab is `<prefix>-<name>`. */
    readonly prefix: string,
  ) {
    this.forgetExitHook = onProcessExit(() => this.destroyNow());
  }

  /** The namespaces this lab has created and not yet deleted. */
  namespaces(): string[] {
    return listNamespaces(`${this.prefix}-`);
  }

  segment(name: string): Promise<Segment> {
    return this.build(async () => {
      const namespace = await this.newNamespace(name);
      const segment = new Segment(name, namespace, this.segmentCount++, this);
      await segment.build();
      return segment;
    });
  }

  router(name: string, { wan, lan, mode = 'cone', portMapping }: RouterOptions): Promise<Router> {
    return this.build(async () => {
      const namespace = await this.newNamespace(name);
      const node = new NetNode(name, namespace, this);
      const publicIp = await wan.connect(node, wanInterface, 'member');
      const lanIp = await lan.connect(node, lanInterface, 'gateway');
      const router = new Router(name, namespace, this, publicIp, lanIp, lan.subnet);
      await router.setMode(mode);
      await router.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      if (portMapping) await router.startPortMapping(portMapping);
      return router;
    });
  }

  host(name: string, { on }: HostOptions): Promise<Host> {
    return this.build(async () => {
      const namespace = await this.newNamespace(name);
      const ip = await on.connect(new NetNode(name, namespace, this), 'eth0', 'member');
      const hostsFile = givePrivateHostsFile(
        namespace,
        `127.0.0.1 localhost\n::1 localhost\n${ip} ${name}\n`,
      );
      return new Host(name, namespace, this, on, ip, hostsFile);
    });
  }

  track(process: LabProcess): void {
    if (this.destruction) {
      process.killNow();
      throw new Error(`lab ${this.prefix} is being destroyed; cannot start \`${process.command}\``);
    }
    this.processes.add(process);
    void process.exited.then(() => this.processes.delete(process));
  }

  /** Stops every process (SIGTERM, then SIGKILL) and deletes every namespace. Safe to call twice. */
  destroy(): Promise<void> {
    this.destruction ??= (async () => {
      await Promise.all([...this.processes].map((process) => process.stop()));
      await deleteNamespaces(this.namespaces());
      releasePrefix(this.prefix);
      // Only now: a signal arriving mid-destroy must still find the exit hook.
      this.forgetExitHook();
    })();
    return this.destruction;
  }

  private destroyNow(): void {
    this.destruction ??= Promise.resolve();
    for (const process of this.processes) process.killNow();
    deleteNamespacesSync(this.namespaces());
    releasePrefix(this.prefix);
  }

  // One change to the topology at a time: a segment's routes depend on who joined before whom, so
  // Promise.all over lab.host() calls stays correct.
  private build<T>(step: () => Promise<T>): Promise<T> {
    const result = this.building.then(step);
    this.building = result.catch(() => undefined);
    return result;
  }

  private async newNamespace(name: string): Promise<string> {
    if (this.destruction) throw new Error(`lab ${this.prefix} is being destroyed; cannot add ${name}`);
    if (!validName.test(name))
      throw new Error(
        `lab name "${name}" must be a lowercase letter then up to 11 lowercase letters or digits`,
      );
    if (this.names.has(name)) throw new Error(`lab ${this.prefix} already has something named ${name}`);
    this.names.add(name);
    const namespace = `${this.prefix}-${name}`;
    await createNamespace(namespace);
    return namespace;
  }
}
