// What the helper does for an authorised caller: the closed set of operations in protocol.ts.
// Operations run one at a time, so two callers never interleave a hosts rewrite or a TUN setup.
import { closeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { list, object } from '../src-main/shared/validate.js';
import { replaceFile } from './atomic-file.js';
import { countManagedLines, renderHostsFile } from './hosts-file.js';
import { loadNative } from './native.js';
import {
  tunInfoValidator,
  type HelperError,
  type HelperRequest,
  type Operation,
  type RequestOf,
  type ResultOf,
  type TunInfo,
} from './protocol.js';
import { configureTun, deleteTun, tunExists } from './tun-config.js';
import { startWintunRelay, type WintunRelay } from './wintun-relay.js';

export const HELPER_VERSION = '1';

const stateValidator = object({ tuns: list(tunInfoValidator, 64) });

export interface Caller {
  pid: number;
  uid: number;
  /** Windows: the caller's user SID; its data pipe admits only this user and pid. */
  sid?: string;
}

export interface HelperPaths {
  hostsFile: string;
  stateFile: string;
}

/** A result, plus for openTun the fd to pass to the caller (the helper closes its copy after). */
export type OperationOutcome<K extends Operation> =
  { ok: true; result: ResultOf<K>; fd?: number } | { ok: false; error: HelperError };

type AnyOutcome = { [K in Operation]: OperationOutcome<K> }[Operation];

const failed = (kind: HelperError['kind'], message: string): { ok: false; error: HelperError } => ({
  ok: false,
  error: { kind, message },
});

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class HelperOperations {
  private queue: Promise<unknown> = Promise.resolve();
  /** Windows: the Wintun sessions this helper holds, by adapter name. */
  private readonly relays = new Map<string, WintunRelay>();

  constructor(private readonly paths: HelperPaths) {}

  run(request: HelperRequest, caller: Caller): Promise<AnyOutcome> {
    const next = this.queue.then(() => this.dispatch(request, caller));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private dispatch(request: HelperRequest, caller: Caller): Promise<AnyOutcome> {
    switch (request.op) {
      case 'openTun':
        return this.openTun(request, caller);
      case 'closeTun':
        return this.closeTun(request);
      case 'writeHosts':
        return this.writeHosts(request);
      case 'status':
        return this.status();
    }
  }

  private async openTun(request: RequestOf<'openTun'>, caller: Caller): Promise<OperationOutcome<'openTun'>> {
    if (process.platform === 'win32') return this.openWintun(request, caller);
    let tun: { fd: number; name: string };
    try {
      tun = loadNative().openTun(request.name);
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === 'EBUSY';
      return failed(
        'TunFailed',
        busy
          ? `a network interface named ${request.name} already exists (another hnet engine or VPN has it); stop it or choose another name`
          : `cannot create ${request.name}: ${reason(error)}`,
      );
    }
    try {
      await configureTun({ name: tun.name, address: request.address, mtu: request.mtu });
    } catch (error) {
      closeSync(tun.fd);
      return failed('TunFailed', `cannot configure ${request.name}: ${reason(error)}`);
    }
    await this.rememberTun({ ...request, name: tun.name }, caller);
    return { ok: true, result: { name: tun.name, address: request.address, mtu: request.mtu }, fd: tun.fd };
  }

  /** Windows: no fd to pass; the helper holds the session and the caller connects to its pipe. */
  private async openWintun(
    request: RequestOf<'openTun'>,
    caller: Caller,
  ): Promise<OperationOutcome<'openTun'>> {
    const { name, address, mtu } = request;
    if (caller.sid === undefined)
      return failed('TunFailed', `cannot open ${name}: the caller's Windows account is unknown`);
    if (this.relays.has(name)) {
      return failed(
        'TunFailed',
        `${name} is already open for another hnet engine; stop it or choose another name`,
      );
    }
    let relay: WintunRelay;
    try {
      relay = await startWintunRelay({ name, address, mtu }, { pid: caller.pid, sid: caller.sid });
    } catch (error) {
      return failed('TunFailed', `cannot create ${name}: ${reason(error)}`);
    }
    this.relays.set(name, relay);
    // The session ends with the engine's pipe; the adapter, its address and routes go with it.
    // Forgotten through the queue, so this rewrite cannot interleave with another operation's.
    void relay.ended.then(() => {
      this.relays.delete(name);
      this.queue = this.queue
        .then(() => this.recordTuns((tuns) => tuns.filter((t) => t.name !== name)))
        .catch(() => undefined);
    });
    await this.rememberTun(request, caller);
    return { ok: true, result: { name, address, mtu, dataPipe: relay.dataPipe } };
  }

  private rememberTun(tun: { name: string; address: string; mtu: number }, caller: Caller): Promise<void> {
    return this.recordTuns((tuns) => [
      ...tuns.filter((t) => t.name !== tun.name),
      { name: tun.name, address: tun.address, mtu: tun.mtu, ownerUid: caller.uid, ownerPid: caller.pid },
    ]);
  }

  private async closeTun(request: RequestOf<'closeTun'>): Promise<OperationOutcome<'closeTun'>> {
    const known = (await this.readTuns()).some((t) => t.name === request.name);
    // Only devices this helper created: the caller must not be able to delete eth0.
    if (!known)
      return failed('TunFailed', `${request.name} was not opened by the hnet helper; refusing to remove it`);
    try {
      const relay = this.relays.get(request.name);
      const removed = process.platform === 'win32' ? relay !== undefined : await deleteTun(request.name);
      await relay?.close();
      await this.recordTuns((tuns) => tuns.filter((t) => t.name !== request.name));
      return { ok: true, result: { name: request.name, removed } };
    } catch (error) {
      return failed('TunFailed', `cannot remove ${request.name}: ${reason(error)}`);
    }
  }

  private async writeHosts(request: RequestOf<'writeHosts'>): Promise<OperationOutcome<'writeHosts'>> {
    try {
      const current = await readFile(this.paths.hostsFile, 'latin1').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      const next = renderHostsFile(current, request.entries);
      const method =
        next === current ? 'unchanged' : await replaceFile(this.paths.hostsFile, Buffer.from(next, 'latin1'));
      return { ok: true, result: { written: request.entries.length, method } };
    } catch (error) {
      return failed('HostsFailed', `cannot update ${this.paths.hostsFile}: ${reason(error)}`);
    }
  }

  private async status(): Promise<OperationOutcome<'status'>> {
    const tuns: TunInfo[] = [];
    for (const tun of await this.readTuns()) if (await this.isOpen(tun.name)) tuns.push(tun);
    const hosts = await readFile(this.paths.hostsFile, 'latin1').catch(() => '');
    return {
      ok: true,
      result: {
        version: HELPER_VERSION,
        tuns,
        hostsFile: this.paths.hostsFile,
        managedEntries: countManagedLines(hosts),
      },
    };
  }

  private isOpen(name: string): Promise<boolean> {
    return process.platform === 'win32' ? Promise.resolve(this.relays.has(name)) : tunExists(name);
  }

  /** Devices this helper created; a missing or unreadable state file means none. */
  private async readTuns(): Promise<TunInfo[]> {
    try {
      const state = stateValidator(JSON.parse(await readFile(this.paths.stateFile, 'utf8')), '');
      return state.ok ? state.value.tuns : [];
    } catch {
      return [];
    }
  }

  private async recordTuns(update: (tuns: TunInfo[]) => TunInfo[]): Promise<void> {
    const tuns = update(await this.readTuns());
    await mkdir(dirname(this.paths.stateFile), { recursive: true, mode: 0o755 });
    await replaceFile(this.paths.stateFile, Buffer.from(`${JSON.stringify({ tuns }, null, 2)}\n`));
  }
}
