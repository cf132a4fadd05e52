// Websetup's server side (PROTOCOL.md §7): answers joins with `init-response`, then keeps every
// device's whitelist, host table and name equal to what the dashboard says. What a device confirmed
// is stored, so a restart resumes instead of starting over. A command once sent may be applied
// whenever it arrives, so it is never forgotten before its answer: each slot on the device (an
// address, a name) has at most one command on its way, and the next one for that slot is planned
// from the confirmed state once the answer is in. So the device applies each slot's commands in
// the order they were planned, and the record follows what the device holds.
//
// A device is known only by the overlay address its datagrams come from: the overlay has already
// authenticated it, which is why websetup must run inside the overlay. An hnet device also signs
// its join requests with its key, so a local user on that device cannot move it to another account;
// once it has, an unsigned join in its name is refused (stock devices never sign, and still join).
// A code made for a network puts the device in it at once, and every member hears of the newcomer
// then. A signed join whose code is unknown or revoked is answered `hnet-join-refused`, so an hnet
// device stops asking; a stock device, which never signs, gets the silence it always got.
// Requests cost database work, so each source has a budget (request-limiter.ts); a reply costs
// nothing unless it answers a command on its way to that device.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { randomText } from '../../src-protocol/random-text.js';
import {
  checkJoinProof,
  decodeNodeToWebsetup,
  encodeWebsetupCommand,
  WEBSETUP_NODE_PORT,
  WEBSETUP_SEQ_LENGTH,
  type NodeRequest,
  type WebsetupCommand,
  type WebsetupReply,
} from '../../src-protocol/websetup-messages.js';
import type { Logger, DatagramTransport, OpenDatagramTransport } from '../../src-main/engine/index.js';
import { notifyEach, type ChangeChannel } from '../store/pg-notifications.js';
import { hashSecret } from '../store/secret-hash.js';
import type { DeviceContact, Store } from '../store/store.js';
import { desiredEntries, hostnameEntry, planPushes, recordOf, type PlannedPush } from './push-plan.js';
import { RequestLimiter, type RequestBudget } from './request-limiter.js';

/** An unconfirmed command is sent again after this, doubling up to MAX_RETRY_MS for a device that is away. */
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 60_000;
/**
 * Everything is looked at again this often: the safety net under the change channel, and all there
 * is for a websetup that shares its database with a dashboard in another process and no channel.
 */
const SWEEP_MS = 10_000;
/** The change channel's news: device addresses whose whitelist, host table or name may have changed. */
export const DEVICES_CHANNEL = 'hnet_devices_changed';
/** A command a device refused (a name its owner set by hand) is offered again after this. */
const REFUSED_RETRY_MS = 5 * 60_000;
/** A device's last contact is written at most this often. */
const SEEN_WRITE_MS = 60_000;
const SEQ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Network names an init-response carries at most, so it stays one small datagram. */
const NAMES_IN_RESPONSE = 16;

export interface WebsetupOptions {
  store: Store;
  open: OpenDatagramTransport;
  log: Logger;
  /** Websetup's own overlay address, which a device's join proof must name. */
  address: Uint8Array;
  /**
   * How processes sharing the database tell each other of changes (pg-notifications.ts). With one,
   * a change any of them makes reaches the websetup node its devices joined through at once.
   */
  changes?: ChangeChannel;
  retryMs?: number;
  sweepMs?: number;
  /** Requests taken per source and in all (request-limiter.ts has the defaults). */
  budgets?: { perSource: RequestBudget; total: RequestBudget };
}

interface Pending {
  address: string;
  /** The device's secret it was sealed with: after a new join the device cannot open it. */
  secret: string;
  push: PlannedPush;
  bytes: Uint8Array;
  sentAt: number;
  tries: number;
}

/** What websetup keeps in memory about a device it manages. */
interface DeviceState {
  /** Commands on their way, by sequence number. */
  sent: Map<string, Pending>;
  /** The slots those commands change (PlannedPush.keys). */
  busy: Set<string>;
  /** Commands the device refused, with when they may be offered again. */
  refused: Map<string, number>;
  /**
   * Answers not recorded yet. The next sync records them before it reads the record, and only
   * then frees their slots, so no plan is ever made from a record an answer is about to change.
   */
  answers: { seq: string; push: PlannedPush; reply: WebsetupReply }[];
  lastSeenWrite: number;
}

interface SyncRun {
  /** Another change came in during the run: run once more when it ends. */
  again: boolean;
  done: Promise<void>;
}

const pushKey = (push: PlannedPush): string => `${push.present ? '+' : '-'}${push.entry}`;

export class WebsetupServer {
  private transport: DatagramTransport | undefined;
  /** Every command on its way, by sequence number (each also in its device's `sent`). */
  private readonly pending = new Map<string, Pending>();
  private readonly devices = new Map<string, DeviceState>();
  /** One sync at a time per device; changes during one are folded into a single rerun. */
  private readonly syncs = new Map<string, SyncRun>();
  private readonly limiter: RequestLimiter;
  private readonly timers: NodeJS.Timeout[] = [];
  private nextSweep: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly log: Logger;
  /** formatAddress(options.address): devices that joined through another node are not ours to command. */
  private readonly self: string;
  private stopListening: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly options: WebsetupOptions) {
    this.retryMs = options.retryMs ?? FIRST_RETRY_MS;
    this.log = options.log.with({ component: 'websetup' });
    this.limiter = new RequestLimiter(options.budgets?.perSource, options.budgets?.total);
    this.self = formatAddress(options.address);
  }

  static async start(options: WebsetupOptions): Promise<WebsetupServer> {
    const server = new WebsetupServer(options);
    server.transport = await options.open((bytes, ip) => server.receive(bytes, ip));
    server.timers.push(setInterval(() => server.resend(), Math.max(200, server.retryMs / 4)));
    server.log.info('websetup-listening', { port: server.transport.port });
    server.stopListening = await options.changes?.listen(DEVICES_CHANNEL, (payload) => {
      // undefined: the channel was down for a while, so look at every device now.
      if (payload === undefined) void server.syncAll();
      else for (const address of new Set(payload.split(' ').filter(Boolean))) void server.sync(address);
    });
    void server.sweep();
    return server;
  }

  get port(): number {
    return this.transport?.port ?? 0;
  }

  /** Requests dropped for being over budget since the start. */
  get droppedRequests(): number {
    return this.limiter.dropped;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening?.();
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.nextSweep);
    await Promise.allSettled([...this.syncs.values()].map((run) => run.done));
    await this.transport?.close();
  }

  /**
   * The dashboard changed something these devices see; bring them up to date now, here or, through
   * the change channel, in whichever process manages each (this one hears its own news too).
   */
  devicesChanged(addresses: Iterable<string>): void {
    const unique = new Set(addresses);
    const { changes } = this.options;
    if (!changes) {
      for (const address of unique) void this.sync(address);
      return;
    }
    notifyEach(changes, DEVICES_CHANNEL, unique).catch((error: unknown) => {
      this.log.warn('websetup-notify-failed', { reason: (error as Error).message });
      for (const address of unique) void this.sync(address);
    });
  }

  /** Resolves once the device's plan as of this call has been sent (not confirmed). */
  sync(address: string): Promise<void> {
    const running = this.syncs.get(address);
    if (running) {
      running.again = true;
      return running.done;
    }
    const run: SyncRun = { again: true, done: Promise.resolve() };
    run.done = (async () => {
      while (run.again && !this.closed) {
        run.again = false;
        try {
          await this.syncNow(address);
        } catch (error) {
          this.log.warn('websetup-sync-failed', { device: address, reason: (error as Error).message });
        }
      }
      this.syncs.delete(address);
    })();
    this.syncs.set(address, run);
    return run.done;
  }

  private async syncNow(address: string): Promise<void> {
    const { store } = this.options;
    const known = this.devices.get(address);
    if (known) await this.recordAnswers(address, known);
    const contact = await store.deviceContact(address);
    // Deleted, or joined through another websetup node: that one alone commands it now.
    if (!contact || (contact.websetup && contact.websetup !== this.self)) {
      this.forget(address);
      return;
    }
    const desired = desiredEntries({ peers: await store.peersOf(address), hostname: contact.hostname });
    const plan = planPushes(await store.pushedEntries(address), desired);
    const device = this.state(address);
    for (const [seq, pending] of device.sent)
      if (pending.secret !== contact.secret) this.release(device, seq, pending.push);
    const now = Date.now();
    // Per slot, commands go in plan order: one that must wait holds back the later ones for its
    // slots too; they are planned again once the command on its way is answered.
    const waiting = new Set(device.busy);
    for (const push of plan) {
      const free = !push.keys.some((key) => waiting.has(key));
      if (free && (device.refused.get(pushKey(push)) ?? 0) <= now) this.send(device, contact, push, now);
      for (const key of push.keys) waiting.add(key);
    }
  }

  private send(device: DeviceState, contact: DeviceContact, push: PlannedPush, now: number): void {
    const seq = this.freeSeq();
    const encoded = encodeWebsetupCommand(contact.secret, seq, push.command);
    if (!encoded.ok) {
      this.log.warn('websetup-command-refused', {
        device: contact.address,
        entry: push.entry,
        reason: encoded.error.message,
      });
      return;
    }
    const { address, secret } = contact;
    const pending = { address, secret, push, bytes: encoded.value, sentAt: now, tries: 1 };
    this.pending.set(seq, pending);
    device.sent.set(seq, pending);
    for (const key of push.keys) device.busy.add(key);
    this.transport?.send(encoded.value, contact.address, WEBSETUP_NODE_PORT);
  }

  private state(address: string): DeviceState {
    let device = this.devices.get(address);
    if (!device) {
      device = { sent: new Map(), busy: new Set(), refused: new Map(), answers: [], lastSeenWrite: 0 };
      this.devices.set(address, device);
    }
    return device;
  }

  /** A command is answered, or can be no more: its slots are free. */
  private release(device: DeviceState, seq: string, push: PlannedPush): void {
    this.pending.delete(seq);
    device.sent.delete(seq);
    for (const key of push.keys) device.busy.delete(key);
  }

  /** Drops what websetup was telling a device deleted from the dashboard. */
  private forget(address: string): void {
    const device = this.devices.get(address);
    if (!device) return;
    for (const seq of device.sent.keys()) this.pending.delete(seq);
    this.devices.delete(address);
  }

  private freeSeq(): string {
    for (;;) {
      const seq = randomText(SEQ_ALPHABET, WEBSETUP_SEQ_LENGTH);
      if (!this.pending.has(seq)) return seq;
    }
  }

  private resend(): void {
    const now = Date.now();
    for (const pending of this.pending.values()) {
      const wait = Math.min(this.retryMs * 2 ** (pending.tries - 1), MAX_RETRY_MS);
      if (now - pending.sentAt < wait) continue;
      pending.sentAt = now;
      pending.tries += 1;
      this.transport?.send(pending.bytes, pending.address, WEBSETUP_NODE_PORT);
    }
  }

  /** Syncs every device, then waits the sweep interval: a long sweep is never overlapped by the next. */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    await this.syncAll();
    if (!this.closed) this.nextSweep = setTimeout(() => void this.sweep(), this.options.sweepMs ?? SWEEP_MS);
  }

  /** Syncs every device this node manages. */
  private async syncAll(): Promise<void> {
    try {
      for (const address of await this.options.store.allDeviceAddresses(this.self)) await this.sync(address);
    } catch (error) {
      this.log.warn('websetup-sweep-failed', { reason: (error as Error).message });
    }
  }

  /** Cheap checks only, before any work that costs: a datagram that passes none costs no query. */
  private receive(bytes: Uint8Array, fromIp: string): void {
    if (this.closed) return;
    const message = decodeNodeToWebsetup(bytes);
    if (!message.ok) {
      this.log.debug('websetup-bad-datagram', { from: fromIp, reason: message.error.message });
      return;
    }
    // A reply costs a lookup unless it answers a command on its way; a request, a budget check
    // unless admitted. Only then is the sender's address read (an fc94 one, or nothing came
    // through the overlay).
    const { value } = message;
    if (value.kind === 'reply' ? !this.pending.has(value.seq) : !this.admitted(fromIp)) return;
    const source = parseOverlayAddress(fromIp);
    if (!source) return;
    const address = formatAddress(source);
    let work: Promise<void>;
    if (value.kind === 'reply') {
      const pending = this.pending.get(value.seq)!;
      // A reply counts only from the device the command went to, and only once.
      if (pending.address !== address) return;
      this.pending.delete(value.seq);
      this.state(address).answers.push({ seq: value.seq, push: pending.push, reply: value.reply });
      work = this.sync(address);
    } else work = this.request(address, source, value);
    work.catch((error: unknown) => {
      this.log.warn('websetup-receive-failed', { from: address, reason: (error as Error).message });
    });
  }

  private admitted(from: string): boolean {
    const admission = this.limiter.take(from);
    if (admission.taken && admission.dropped > 0)
      this.log.warn('websetup-requests-dropped', { from, count: admission.dropped });
    return admission.taken;
  }

  /** Records what the device answered; each answered command's slots are free from then on. */
  private async recordAnswers(address: string, device: DeviceState): Promise<void> {
    let confirmed = false;
    for (let answer = device.answers.shift(); answer; answer = device.answers.shift()) {
      const { seq, push, reply } = answer;
      try {
        if (reply.kind === 'ok') {
          await this.options.store.changePushed(address, recordOf(push.entry, push.present));
          confirmed = true;
        } else {
          device.refused.set(pushKey(push), Date.now() + REFUSED_RETRY_MS);
          this.log.warn('websetup-command-rejected', {
            device: address,
            entry: push.entry,
            reply: reply.kind,
          });
        }
      } finally {
        this.release(device, seq, push);
      }
    }
    if (confirmed) await this.seen(address, device);
  }

  private async seen(address: string, device: DeviceState): Promise<void> {
    const now = Date.now();
    if (now - device.lastSeenWrite < SEEN_WRITE_MS) return;
    device.lastSeenWrite = now;
    await this.options.store.deviceSeen(address, now);
  }

  private async request(address: string, source: Uint8Array, request: NodeRequest): Promise<void> {
    const { store } = this.options;
    let peers: { address: string }[] = [];
    if (request.kind === 'init-request-join-code') {
      if (request.proof) {
        const proven = checkJoinProof(request, request.proof, this.options.address, source);
        if (!proven.ok) {
          this.log.warn('websetup-join-refused', { device: address, reason: proven.error.message });
          return;
        }
      }
      const grant = await store.joinGrant(hashSecret(request.code));
      if (!grant) {
        this.log.info('websetup-unknown-join-code', { from: address, answered: Boolean(request.proof) });
        // Only a proven hnet engine is told: it asked with its own key, so it knows the command.
        if (request.proof)
          this.tell(address, request.secret, { kind: 'hnet-join-refused', reason: 'unknown-code' });
        return;
      }
      const claimed = await store.claimDevice(
        { address, hostname: request.hostname, secret: request.secret },
        grant,
        request.proof ? 'signed' : 'unsigned',
      );
      if (!claimed.ok) {
        this.log.warn('websetup-join-refused', { device: address, reason: claimed.error.message });
        return;
      }
      // The device named itself in its request, so that name is in place there; the name the
      // server gave it (a single label, unique in its account and among its peers) follows as
      // set-hostname, and the init-response says it already.
      await store.changePushed(address, recordOf(hostnameEntry(request.hostname), true));
      peers = await store.peersOf(address);
      this.log.info('websetup-joined', { device: address, hostname: claimed.value.hostname });
    }
    // The device asks this node, so its license or join code names this one: it takes commands
    // from no other, and the node that managed it before (if any) is told to let go.
    if (await store.manageDevice(address, this.self)) peers.push({ address });
    const contact = await store.deviceContact(address);
    if (!contact) return;
    await this.seen(address, this.state(address));
    const networks = await store.networkNamesOf(address, NAMES_IN_RESPONSE);
    this.tell(address, contact.secret, {
      kind: 'init-response',
      payload: JSON.stringify({ hostname: contact.hostname, networks }),
    });
    // Everyone already in the code's network learns of the newcomer now, not at the next sweep.
    this.devicesChanged(peers.map((peer) => peer.address));
    await this.sync(address);
  }

  /** A command that needs no answer recorded: it is sent once, and a request that is repeated repeats it. */
  private tell(address: string, secret: string, command: WebsetupCommand): void {
    const encoded = encodeWebsetupCommand(secret, this.freeSeq(), command);
    if (encoded.ok) this.transport?.send(encoded.value, address, WEBSETUP_NODE_PORT);
  }
}
