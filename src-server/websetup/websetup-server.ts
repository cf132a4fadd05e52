// Websetup's server side (PROTOCOL.md §7): answers joins with `init-response`, then keeps every
// device's whitelist, host table and name equal to what the dashboard says, one confirmed command
// at a time. What a device confirmed is stored, so a restart resumes instead of starting over.
//
// A device is known only by the overlay address its datagrams come from: the overlay has already
// authenticated it, which is why websetup must run inside the overlay. An hnet device also signs
// its join requests with its key, so a local user on that device cannot move it to another account;
// once it has, an unsigned join in its name is refused (stock devices never sign, and still join).
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { randomText } from '../../src-protocol/random-text.js';
import {
  checkJoinProof,
  decodeNodeToWebsetup,
  encodeWebsetupCommand,
  WEBSETUP_NODE_PORT,
  WEBSETUP_SEQ_LENGTH,
  type NodeRequest,
  type WebsetupReply,
} from '../../src-protocol/websetup-messages.js';
import type { Logger } from '../../src-main/engine/log.js';
import { hashSecret } from '../store/secret-hash.js';
import type { Store } from '../store/store.js';
import { desiredEntries, hostnameEntry, planPushes, type PlannedPush } from './push-plan.js';
import type { DatagramTransport, OpenDatagramTransport } from '../../src-main/engine/datagram-socket.js';

/** An unconfirmed command is sent again after this, doubling up to MAX_RETRY_MS for a device that is away. */
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 60_000;
/** Changes made by another process sharing the database (PostgreSQL) are picked up this often. */
const SWEEP_MS = 10_000;
const SEQ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface WebsetupOptions {
  store: Store;
  open: OpenDatagramTransport;
  log: Logger;
  /** Websetup's own overlay address, which a device's join proof must name. */
  address: Uint8Array;
  retryMs?: number;
  sweepMs?: number;
}

interface Pending {
  address: string;
  push: PlannedPush;
  bytes: Uint8Array;
  sentAt: number;
  tries: number;
}

const pushKey = (push: PlannedPush): string => `${push.present ? '+' : '-'}${push.entry}`;

export class WebsetupServer {
  private transport: DatagramTransport | undefined;
  private readonly pending = new Map<string, Pending>();
  /** One sync at a time per device, so two changes in a row cannot interleave their reads. */
  private readonly syncs = new Map<string, Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private nextSweep: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly log: Logger;
  private closed = false;

  private constructor(private readonly options: WebsetupOptions) {
    this.retryMs = options.retryMs ?? FIRST_RETRY_MS;
    this.log = options.log.with({ component: 'websetup' });
  }

  static async start(options: WebsetupOptions): Promise<WebsetupServer> {
    const server = new WebsetupServer(options);
    server.transport = await options.open((bytes, ip) => void server.receive(bytes, ip));
    server.timers.push(setInterval(() => server.resend(), Math.max(200, server.retryMs / 4)));
    server.log.info('websetup-listening', { port: server.transport.port });
    void server.sweep();
    return server;
  }

  get port(): number {
    return this.transport?.port ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.nextSweep);
    await Promise.allSettled(this.syncs.values());
    await this.transport?.close();
  }

  /** The dashboard changed something these devices see; bring them up to date now. */
  devicesChanged(addresses: Iterable<string>): void {
    for (const address of new Set(addresses)) void this.sync(address);
  }

  /** Resolves once the device's current plan has been sent (not confirmed). */
  sync(address: string): Promise<void> {
    const previous = this.syncs.get(address) ?? Promise.resolve();
    const next = previous
      .then(() => this.syncNow(address))
      .catch((error: unknown) => {
        this.log.warn('websetup-sync-failed', { device: address, reason: (error as Error).message });
      });
    this.syncs.set(address, next);
    void next.then(() => {
      if (this.syncs.get(address) === next) this.syncs.delete(address);
    });
    return next;
  }

  private async syncNow(address: string): Promise<void> {
    if (this.closed) return;
    const { store } = this.options;
    const contact = await store.deviceContact(address);
    const inFlight = [...this.pending.entries()].filter(([, p]) => p.address === address);
    if (!contact) {
      for (const [seq] of inFlight) this.pending.delete(seq);
      return;
    }
    const desired = desiredEntries({ peers: await store.peersOf(address), hostname: contact.hostname });
    const plan = planPushes(await store.pushedEntries(address), desired);
    const planned = new Set(plan.map(pushKey));
    // A command the dashboard has since undone is not worth confirming any more.
    for (const [seq, pending] of inFlight) if (!planned.has(pushKey(pending.push))) this.pending.delete(seq);
    const sending = new Set(inFlight.map(([, p]) => pushKey(p.push)));
    for (const push of plan) {
      if (sending.has(pushKey(push))) continue;
      const seq = randomText(SEQ_ALPHABET, WEBSETUP_SEQ_LENGTH);
      const encoded = encodeWebsetupCommand(contact.secret, seq, push.command);
      if (!encoded.ok) {
        this.log.warn('websetup-command-refused', {
          device: address,
          entry: push.entry,
          reason: encoded.error.message,
        });
        continue;
      }
      this.pending.set(seq, { address, push, bytes: encoded.value, sentAt: Date.now(), tries: 1 });
      this.transport?.send(encoded.value, address, WEBSETUP_NODE_PORT);
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
    try {
      for (const address of await this.options.store.allDeviceAddresses()) await this.sync(address);
    } catch (error) {
      this.log.warn('websetup-sweep-failed', { reason: (error as Error).message });
    }
    if (!this.closed) this.nextSweep = setTimeout(() => void this.sweep(), this.options.sweepMs ?? SWEEP_MS);
  }

  private async receive(bytes: Uint8Array, fromIp: string): Promise<void> {
    // Only overlay addresses identify devices; anything else cannot have come through the overlay.
    const parsed = parseOverlayAddress(fromIp);
    if (!parsed || this.closed) return;
    const address = formatAddress(parsed);
    const message = decodeNodeToWebsetup(bytes);
    if (!message.ok) {
      this.log.debug('websetup-bad-datagram', { from: address, reason: message.error.message });
      return;
    }
    try {
      if (message.value.kind === 'reply')
        await this.confirmed(address, message.value.seq, message.value.reply);
      else await this.request(address, parsed, message.value);
    } catch (error) {
      this.log.warn('websetup-receive-failed', { from: address, reason: (error as Error).message });
    }
  }

  private async confirmed(address: string, seq: string, reply: WebsetupReply): Promise<void> {
    const pending = this.pending.get(seq);
    // A reply counts only from the device the command went to.
    if (!pending || pending.address !== address) return;
    this.pending.delete(seq);
    const { store } = this.options;
    if (reply.kind !== 'ok') {
      this.log.warn('websetup-command-rejected', {
        device: address,
        entry: pending.push.entry,
        reply: reply.kind,
      });
      return;
    }
    if (pending.push.replaces) await store.recordPushed(address, pending.push.replaces, false);
    await store.recordPushed(address, pending.push.entry, pending.push.present);
    await store.deviceSeen(address);
  }

  private async request(address: string, source: Uint8Array, request: NodeRequest): Promise<void> {
    const { store } = this.options;
    if (request.kind === 'init-request-join-code') {
      if (request.proof) {
        const proven = checkJoinProof(request, request.proof, this.options.address, source);
        if (!proven.ok) {
          this.log.warn('websetup-join-refused', { device: address, reason: proven.error.message });
          return;
        }
      }
      const account = await store.accountForJoinCode(hashSecret(request.code));
      if (!account) {
        this.log.info('websetup-unknown-join-code', { from: address });
        return;
      }
      const claimed = await store.claimDevice(
        { address, hostname: request.hostname, secret: request.secret },
        account,
        request.proof ? 'signed' : 'unsigned',
      );
      if (!claimed.ok) {
        this.log.warn('websetup-join-refused', { device: address, reason: claimed.error.message });
        return;
      }
      // The device named itself in its request, so that name is already in place there.
      await store.recordPushed(address, hostnameEntry(request.hostname), true);
      this.log.info('websetup-joined', { device: address, hostname: request.hostname });
    }
    const contact = await store.deviceContact(address);
    if (!contact) return;
    await store.deviceSeen(address);
    const seq = randomText(SEQ_ALPHABET, WEBSETUP_SEQ_LENGTH);
    const payload = JSON.stringify({ hostname: contact.hostname });
    const response = encodeWebsetupCommand(contact.secret, seq, { kind: 'init-response', payload });
    if (response.ok) this.transport?.send(response.value, address, WEBSETUP_NODE_PORT);
    await this.sync(address);
  }
}
