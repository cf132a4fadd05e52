// What the helper does for an authorised caller: the closed set of operations in protocol.ts, each
// serving the caller only what is its own (overlay-devices.ts says what that is). Operations run
// one at a time, so two callers never interleave a hosts rewrite or a TUN setup.
import { closeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatAddress } from '../src-protocol/address.js';
import { list, object } from '../src-shared/validate.js';
import { replaceFile } from './atomic-file.js';
import type { Caller } from './caller.js';
import { countManagedLines, renderHostsFile } from './hosts-file.js';
import { loadNative } from './api/native.js';
import { mayClose, mayWriteHosts, planOpen } from './overlay-devices.js';
import {
  tunInfoValidator,
  type HelperError,
  type HelperRequest,
  type Operation,
  type RequestOf,
  type ResultOf,
  type TunInfo,
} from './api/protocol.js';
import { configureTun, deleteTun, interfaceIndex, tunExistsNow, type TunSettings } from './tun-config.js';
import { TunChallenges } from './tun-proof.js';
import { startWintunRelay, type WintunRelay } from './wintun-relay.js';

export const HELPER_VERSION = '2';

const stateValidator = object({ tuns: list(tunInfoValidator, 64) });

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
  private readonly challenges = new TunChallenges();

  constructor(private readonly paths: HelperPaths) {}

  run(request: HelperRequest, caller: Caller): Promise<AnyOutcome> {
    const next = this.queue.then(() => this.dispatch(request, caller));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private dispatch(request: HelperRequest, caller: Caller): Promise<AnyOutcome> {
    switch (request.op) {
      case 'challenge':
        return Promise.resolve({ ok: true, result: { nonce: this.challenges.issue(caller) } });
      case 'openTun':
        return this.openTun(request, caller);
      case 'closeTun':
        return this.closeTun(request, caller);
      case 'writeHosts':
        return this.writeHosts(request, caller);
      case 'status':
        return this.status();
    }
  }

  private async openTun(request: RequestOf<'openTun'>, caller: Caller): Promise<OperationOutcome<'openTun'>> {
    const proof = this.challenges.check(request, caller);
    if (!proof.ok) return proof;
    const address = formatAddress(proof.address);
    const live = await this.liveTuns();
    const plan = planOpen(live, caller, address, tunExistsNow);
    if (!plan.ok) return plan;
    const { name, overlayRoute, replaces } = plan;
    // A client has one device: asking again (an engine restarted while its old device lingers)
    // replaces it, so whatever still holds the old fd sees it end.
    if (replaces) {
      const closed = await this.removeTun(replaces);
      if (!closed.ok) return closed;
    }
    const settings = { name, address, mtu: request.mtu, overlayRoute };
    const others = live.filter((tun) => tun !== replaces);
    if (process.platform === 'win32') return this.openWintun(settings, caller, others);
    let tun: { fd: number; name: string };
    try {
      tun = loadNative().openTun(name);
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === 'EBUSY';
      return failed(
        'TunFailed',
        busy
          ? `a network interface named ${name} already exists (another VPN has it); stop it and try again`
          : `cannot create ${name}: ${reason(error)}`,
      );
    }
    let ifindex: number | undefined;
    try {
      await configureTun(settings);
      ifindex = await interfaceIndex(name);
      if (ifindex === undefined) throw new Error('it vanished while it was being configured');
    } catch (error) {
      closeSync(tun.fd);
      return failed('TunFailed', `cannot configure ${name}: ${reason(error)}`);
    }
    await this.rememberTun({ ...settings, ifindex }, caller, others);
    return { ok: true, result: { name, address, mtu: request.mtu, overlayRoute }, fd: tun.fd };
  }

  /** Windows: no fd to pass; the helper holds the session and the caller connects to its pipe. */
  private async openWintun(
    settings: TunSettings,
    caller: Caller,
    others: readonly TunInfo[],
  ): Promise<OperationOutcome<'openTun'>> {
    const { name } = settings;
    if (caller.sid === undefined)
      return failed('TunFailed', `cannot open ${name}: the caller's Windows account is unknown`);
    let relay: WintunRelay;
    try {
      relay = await startWintunRelay(settings, { pid: caller.pid, sid: caller.sid });
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
    await this.rememberTun({ ...settings, ifindex: 0 }, caller, others);
    const { address, mtu, overlayRoute } = settings;
    return { ok: true, result: { name, address, mtu, overlayRoute, dataPipe: relay.dataPipe } };
  }

  /** Records the caller's new device beside `others`, the live devices it leaves alone. */
  private rememberTun(
    tun: TunSettings & { ifindex: number },
    caller: Caller,
    others: readonly TunInfo[],
  ): Promise<void> {
    return this.recordTuns(() => [
      ...others,
      {
        ...tun,
        ownerUid: caller.uid,
        ownerPid: caller.pid,
        ...(caller.sid === undefined ? {} : { ownerSid: caller.sid }),
      },
    ]);
  }

  private async closeTun(
    request: RequestOf<'closeTun'>,
    caller: Caller,
  ): Promise<OperationOutcome<'closeTun'>> {
    const records = await this.readTuns();
    const allowed = mayClose(records, caller, request.name);
    if (!allowed.ok) return allowed;
    return this.removeTun(records.find((record) => record.name === request.name)!);
  }

  private async removeTun({ name, ifindex }: TunInfo): Promise<OperationOutcome<'closeTun'>> {
    try {
      const relay = this.relays.get(name);
      const removed = process.platform === 'win32' ? relay !== undefined : await deleteTun(name, ifindex);
      await relay?.close();
      await this.recordTuns((tuns) => tuns.filter((t) => t.name !== name));
      return { ok: true, result: { name, removed } };
    } catch (error) {
      return failed('TunFailed', `cannot remove ${name}: ${reason(error)}`);
    }
  }

  private async writeHosts(
    request: RequestOf<'writeHosts'>,
    caller: Caller,
  ): Promise<OperationOutcome<'writeHosts'>> {
    const allowed = mayWriteHosts(await this.liveTuns(), caller);
    if (!allowed.ok) return allowed;
    try {
      const current = await readFile(this.paths.hostsFile, 'latin1').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      const { content, skipped } = renderHostsFile(current, request.entries);
      const method =
        content === current
          ? 'unchanged'
          : await replaceFile(this.paths.hostsFile, Buffer.from(content, 'latin1'));
      return { ok: true, result: { written: request.entries.length - skipped.length, skipped, method } };
    } catch (error) {
      return failed('HostsFailed', `cannot update ${this.paths.hostsFile}: ${reason(error)}`);
    }
  }

  private async status(): Promise<OperationOutcome<'status'>> {
    const hosts = await readFile(this.paths.hostsFile, 'latin1').catch(() => '');
    return {
      ok: true,
      result: {
        version: HELPER_VERSION,
        tuns: await this.liveTuns(),
        hostsFile: this.paths.hostsFile,
        managedEntries: countManagedLines(hosts),
      },
    };
  }

  /**
   * The devices this helper made that still exist. A device lives as long as some process holds
   * its fd (only its engine was given one), so one that is gone released its name and routes.
   */
  private async liveTuns(): Promise<TunInfo[]> {
    const live: TunInfo[] = [];
    for (const tun of await this.readTuns()) if (await this.isOpen(tun)) live.push(tun);
    return live;
  }

  private async isOpen({ name, ifindex }: TunInfo): Promise<boolean> {
    if (process.platform === 'win32') return this.relays.has(name);
    return (await interfaceIndex(name)) === ifindex;
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
