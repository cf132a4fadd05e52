// The engine's side of the root helper protocol (src-helper/api/protocol.ts). Each call is one
// connection; the exchange runs in the native addon's threadpool worker so that the TUN fd the
// helper attaches to its openTun reply is received with recvmsg() (Node's own reads would drop it).
// On Windows there is no fd to receive (the openTun reply names a data pipe), so the exchange over
// the helper's control pipe is a plain Node connection (pipe-exchange.ts).
import { closeSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fromHex, toHex } from '../../src-protocol/bytes.js';
import { signDetached } from '../../src-protocol/crypto.js';
import type { Identity } from '../../src-protocol/identity.js';
import { loadNative, isNativeError } from './native.js';
import {
  DEFAULT_PIPE_PATH,
  DEFAULT_SOCKET_PATH,
  encodeLine,
  parseReply,
  type HelperError,
  type HelperReply,
  type HelperRequest,
  type HostsEntry,
  type ResultOf,
  tunProofMessage,
} from './protocol.js';
import { exchangeOverPipe } from './pipe-exchange.js';

const CALL_TIMEOUT_MS = 15_000;

/** The caller's own TUN device: its fd passed over the socket, or (Windows) the pipe relaying it. */
export type OpenedTun = { name: string; fd: number } | { name: string; dataPipe: string };

/** A helper call that failed, thrown by the convenience methods; `error.kind` says why. */
export class HelperFailure extends Error {
  constructor(readonly error: HelperError) {
    super(error.message);
  }
}

function transportError(socketPath: string, error: unknown, windows: boolean): HelperError {
  const code = isNativeError(error) ? error.code : '';
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    const start = windows ? 'start the "hnet helper" service' : 'start it with "systemctl start hnet-helper"';
    return {
      kind: 'HelperNotRunning',
      message: `the hnet helper is not running (no one listens on ${socketPath}); ${start}`,
    };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    const fix = windows
      ? `add this user's SID, or a group it belongs to, to "sids" in the helper's config and restart the helper`
      : 'add this user to the hnet group and log in again';
    return {
      kind: 'NotAuthorised',
      message: `not allowed to connect to the hnet helper at ${socketPath}; ${fix}`,
    };
  }
  if (code === 'ETIMEDOUT') return { kind: 'Timeout', message: 'the hnet helper did not answer within 15 s' };
  return { kind: 'Internal', message: `talking to the hnet helper failed: ${String(error)}` };
}

export class HelperClient {
  readonly socketPath: string;
  private readonly windows: boolean;

  /** `platform` picks the transport (tests run the Windows exchange over a Unix socket). */
  constructor(socketPath?: string, platform: NodeJS.Platform = process.platform) {
    this.windows = platform === 'win32';
    this.socketPath = socketPath ?? (this.windows ? DEFAULT_PIPE_PATH : DEFAULT_SOCKET_PATH);
  }

  private exchange(request: Buffer): Promise<{ response: Buffer; fd: number }> {
    if (this.windows) {
      return exchangeOverPipe(this.socketPath, request, CALL_TIMEOUT_MS).then((response) => ({
        response,
        fd: -1,
      }));
    }
    return loadNative().requestWithFd(this.socketPath, request, CALL_TIMEOUT_MS);
  }

  /** One call; the reply is checked against the protocol. `fd` is set only for openTun. */
  async call<R extends HelperRequest>(request: R): Promise<HelperReply<ResultOf<R['op']>> & { fd?: number }> {
    const op: R['op'] = request.op;
    let exchange: { response: Buffer; fd: number };
    try {
      exchange = await this.exchange(encodeLine(request));
    } catch (error) {
      return { ok: false, error: transportError(this.socketPath, error, this.windows) };
    }
    const reply = parseReply(op, exchange.response.toString('utf8').trimEnd());
    if (exchange.fd >= 0) {
      if (reply.ok && op === 'openTun') return { ...reply, fd: exchange.fd };
      closeSync(exchange.fd);
    }
    // On Windows the reply names a data pipe instead (there is no fd to pass).
    if (reply.ok && op === 'openTun' && !(reply.result as ResultOf<'openTun'>).dataPipe) {
      return {
        ok: false,
        error: { kind: 'BadReply', message: 'the helper opened the TUN device but passed no fd' },
      };
    }
    return reply;
  }

  private async expect<R extends HelperRequest>(request: R): Promise<ResultOf<R['op']>> {
    const reply = await this.call(request);
    if (!reply.ok) throw new HelperFailure(reply.error);
    return reply.result;
  }

  /**
   * Creates and configures this identity's device, proving to the helper that we hold its key (a
   * signed challenge): its fd (Linux/macOS, the caller owns it) or the data pipe the helper relays
   * it over (Windows); tun-device.ts opens either. The helper names the device and says whether it
   * carries the overlay's routes (another engine on this machine may hold them).
   */
  async openTunDevice(identity: Identity, mtu = 1350): Promise<OpenedTun & { overlayRoute: boolean }> {
    const { nonce } = await this.expect({ op: 'challenge' });
    const signature = signDetached(tunProofMessage(fromHex(nonce)!), identity.secretKey);
    const reply = await this.call({
      op: 'openTun',
      publicKey: toHex(identity.publicKey),
      nonce,
      signature: toHex(signature),
      mtu,
    });
    if (!reply.ok) throw new HelperFailure(reply.error);
    const { name, dataPipe, overlayRoute } = reply.result;
    if (dataPipe !== undefined) return { name, dataPipe, overlayRoute };
    // call() turns an openTun success with neither fd nor pipe into BadReply, so fd is set here.
    return { fd: reply.fd ?? -1, name, overlayRoute };
  }

  /** The TUN fd (Linux/macOS), for callers that read it themselves (see tun-io.ts). */
  async openTun(
    identity: Identity,
    mtu = 1350,
  ): Promise<{ fd: number; name: string; overlayRoute: boolean }> {
    const opened = await this.openTunDevice(identity, mtu);
    if ('fd' in opened) return opened;
    throw new HelperFailure({
      kind: 'BadReply',
      message: 'the helper relays the device over a pipe (Windows); open it with openTunDevice',
    });
  }

  /**
   * The helper's socket as it is now: missing, or one inode with its owner and mode. The helper
   * binds, then sets owner and mode; each step changes this, and each may let through a call
   * that failed before. (Not the change time alone: the kernel keeps it at tick granularity.)
   */
  socketState(): string {
    // A Windows pipe is not a file; watchSocket cannot watch it, so its state is never compared.
    if (this.windows) return 'pipe';
    try {
      const stats = statSync(this.socketPath, { bigint: true, throwIfNoEntry: false });
      return stats ? `${stats.ino}:${stats.uid}:${stats.gid}:${stats.mode}:${stats.ctimeNs}` : 'missing';
    } catch (error) {
      return `unreadable:${(error as NodeJS.ErrnoException).code ?? String(error)}`;
    }
  }

  /**
   * Calls `changed` once the socket may have started to accept calls since it was `since` (a
   * socketState()): it appeared, was replaced, or got its owner or mode. Never synchronously, at
   * most once, and never after the returned function stopped the watch. Undefined where the
   * socket's folder cannot be watched (Windows pipes, a folder that does not exist yet): callers
   * then retry on a timer.
   */
  watchSocket(since: string, changed: () => void): (() => void) | undefined {
    if (this.windows) return undefined;
    const name = basename(this.socketPath);
    let watcher: FSWatcher | undefined;
    let done = false;
    const stop = (): void => {
      done = true;
      watcher?.close();
    };
    const fire = (): void => {
      if (done) return;
      stop();
      changed();
    };
    try {
      watcher = watch(dirname(this.socketPath), (_event, file) => {
        if (file === null || file === name) fire();
      });
    } catch {
      return undefined;
    }
    // A watch that fails ends here; the caller's timer still retries.
    watcher.on('error', stop);
    // What changed between `since` and the watch starting would not be reported by it.
    if (this.socketState() !== since) queueMicrotask(fire);
    return stop;
  }

  closeTun(name: string): Promise<ResultOf<'closeTun'>> {
    return this.expect({ op: 'closeTun', name });
  }

  /** Replaces the managed lines of /etc/hosts; fits hosts-sync.ts's WriteHosts. */
  async writeHosts(entries: readonly HostsEntry[]): Promise<void> {
    await this.expect({ op: 'writeHosts', entries: [...entries] });
  }

  status(): Promise<ResultOf<'status'>> {
    return this.expect({ op: 'status' });
  }
}
