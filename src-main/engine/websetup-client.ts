// The device's side of websetup (PROTOCOL.md §7): port 5580 of the device's overlay address, kept
// by the data plane inside the session with the websetup node it joined (management-port.ts). It
// takes commands only from that node and only with the secret it made for that join, and applies
// them to the whitelist, the host table and the device's name. While a join is pending it repeats
// `init-request-join-code` every 5 s, signed with the device key (proof that the engine asks).
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import {
  encodeNodeRequest,
  encodeWebsetupReply,
  openWebsetupDatagram,
  parseWebsetupCommand,
  proveJoin,
  replyForRejectedCommand,
  WEBSETUP_SERVER_PORT,
  type NodeRequest,
  type WebsetupCommand,
  type WebsetupReply,
} from '../../src-protocol/websetup-messages.js';
import type { EnrolmentComponents, EnrolmentFile, WebsetupLink } from './enrolment-state.js';
import { errorText, failure, success, type Outcome } from './errors.js';
import type { HostEntry } from './host-table.js';
import { HNET_VERSION } from './version.js';

/** Stock devices repeat a pending join this often. */
export const JOIN_RETRY_MS = 5_000;
/** A device asks websetup for a fresh init-response when the last one is older than this. */
const REFRESH_AFTER_MS = 15 * 60_000;
const REFRESH_RETRY_MS = 60_000;
const USER_AGENT = `hnet,${process.platform},${process.arch},${HNET_VERSION}`;

export interface WebsetupClientOptions {
  retryMs?: number;
}

export class WebsetupClient {
  private timer: NodeJS.Timeout | undefined;
  private lastRefreshRequest = 0;
  private readonly joinWaiters = new Set<() => void>();
  private readonly log: EnrolmentComponents['log'];
  /** The websetup node being joined, managed from before its link is saved (prepareJoin). */
  private joining: Uint8Array | undefined;
  private unfollow: (() => void) | undefined;

  constructor(
    private readonly c: EnrolmentComponents,
    private readonly file: EnrolmentFile,
    private readonly options: WebsetupClientOptions,
  ) {
    this.log = c.log.with({ component: 'websetup-client' });
  }

  private get link(): WebsetupLink | undefined {
    return this.file.value.websetup;
  }

  start(): void {
    this.c.management?.listen((bytes, fromIp, fromPort) =>
      this.receive(bytes, fromIp, fromPort).catch((error: unknown) =>
        this.log.warn('websetup-command-failed', { reason: errorText(error) }),
      ),
    );
    // The management peer follows the saved link, so a restart, a new join and a leave all move it.
    this.unfollow = this.file.onChange(() => this.manageLinked());
    this.manageLinked();
    this.timer = setInterval(() => this.tick(), this.options.retryMs ?? JOIN_RETRY_MS);
    this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unfollow?.();
    this.c.management?.listen(undefined);
  }

  /**
   * The node at `websetup` is about to be joined: its peer becomes the management peer now, before
   * the device lets it in or sends it anything, so nothing of the join passes through local reach.
   */
  prepareJoin(websetup: Uint8Array): void {
    this.joining = websetup;
    this.manageLinked();
  }

  /** Management follows the saved link again: the prepared join was saved, or will not be. */
  followLink(): void {
    this.joining = undefined;
    this.manageLinked();
  }

  /** Records the join and sends its first request (repeated until websetup answers: `joined`). */
  async startJoin(link: WebsetupLink): Promise<Outcome<void>> {
    const saved = await this.file.update((state) => ({
      ok: true,
      value: { next: { ...state, websetup: link }, answer: undefined },
    }));
    this.followLink();
    if (!saved.ok) return saved;
    this.tick();
    return saved;
  }

  /** Resolves true on init-response, false after `ms`. */
  joined(ms: number): Promise<boolean> {
    if (this.link && this.link.pendingCode === undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        this.joinWaiters.delete(done);
        resolve(true);
      };
      const timeout = setTimeout(() => {
        this.joinWaiters.delete(done);
        resolve(false);
      }, ms);
      this.joinWaiters.add(done);
    });
  }

  private manageLinked(): void {
    const linked = this.link && parseOverlayAddress(this.link.address);
    this.c.management?.manage(this.joining ?? linked);
  }

  private tick(): void {
    const link = this.link;
    if (!link) return;
    if (link.pendingCode !== undefined) {
      const fields = { code: link.pendingCode, secret: link.secret, hostname: link.hostname };
      const websetup = parseOverlayAddress(link.address);
      if (websetup)
        this.request({
          kind: 'init-request-join-code',
          ...fields,
          proof: proveJoin(this.c.identity, websetup, fields),
        });
      return;
    }
    const now = Date.now();
    if (
      now - (link.lastInitResponse ?? 0) > REFRESH_AFTER_MS &&
      now - this.lastRefreshRequest > REFRESH_RETRY_MS
    ) {
      this.lastRefreshRequest = now;
      this.request({ kind: 'init-request' });
    }
  }

  /** Into the management peer's session; before the data plane runs the request waits for the next tick. */
  private request(request: NodeRequest): void {
    const encoded = encodeNodeRequest(request);
    if (encoded.ok && !this.c.management?.send(encoded.value, WEBSETUP_SERVER_PORT))
      this.log.debug('websetup-unreachable', { request: request.kind });
  }

  private async receive(bytes: Uint8Array, fromIp: string, fromPort: number): Promise<void> {
    const link = this.link;
    const from = parseOverlayAddress(fromIp);
    // The port passes only the management peer's datagrams, authenticated by its session; the link
    // is checked too, for a join that replaced it a moment ago. Without our secret (compared in
    // constant time) a datagram is dropped without an answer, so a stranger learns nothing.
    if (!link || !from || formatAddress(from) !== link.address) return;
    const opened = openWebsetupDatagram(bytes, link.secret);
    if (!opened.ok) return;
    const command = parseWebsetupCommand(opened.value);
    const reply = command.ok ? await this.apply(command.value) : replyForRejectedCommand(command.error);
    const encoded = encodeWebsetupReply(opened.value.seq, reply);
    if (encoded.ok) this.c.management?.send(encoded.value, fromPort);
  }

  private async apply(command: WebsetupCommand): Promise<WebsetupReply> {
    const { whitelist, hosts } = this.c;
    const link = this.link!;
    const done = (outcome: Outcome<unknown>, alreadyDone = false): WebsetupReply =>
      outcome.ok || alreadyDone ? { kind: 'ok' } : { kind: 'error' };
    switch (command.kind) {
      case 'ping':
        return { kind: 'pong' };
      case 'init-response':
        return this.joinAnswered();
      case 'whitelist-add':
        return done(await this.pushAddress(formatAddress(command.address)));
      case 'whitelist-rm': {
        const address = formatAddress(command.address);
        // Websetup cannot cut itself off: that would leave the device unmanageable.
        if (address === link.address) return { kind: 'error' };
        const removed = await whitelist.remove(address);
        await this.changeLink((l) => ({
          ...l,
          pushedAddresses: l.pushedAddresses?.filter((a) => a !== address),
        }));
        return done(removed, !removed.ok && removed.error.kind === 'NotFound');
      }
      case 'whitelist-enable':
      case 'whitelist-disable':
        return done(await whitelist.setEnabled(command.kind === 'whitelist-enable'));
      case 'host-add':
        return done(
          await this.pushHost({ hostname: command.hostname, address: formatAddress(command.address) }),
        );
      case 'host-rm': {
        const address = formatAddress(command.address);
        const entry = hosts.entries.find((e) => e.hostname.toLowerCase() === command.hostname.toLowerCase());
        // A name already pointing elsewhere was given to another device since; leave it.
        if (!entry || entry.address !== address) return { kind: 'ok' };
        const removed = await hosts.remove(command.hostname);
        await this.changeLink((l) => ({
          ...l,
          pushedHosts: l.pushedHosts?.filter((h) => !sameEntry(h, entry)),
        }));
        return done(removed, !removed.ok && removed.error.kind === 'NotFound');
      }
      case 'set-hostname': {
        const renamed = await this.c.setHostname(command.hostname);
        if (renamed.ok) await this.changeLink((l) => ({ ...l, hostname: command.hostname }));
        return done(renamed);
      }
      case 'change-secret':
        return done(await this.changeLink((l) => ({ ...l, secret: command.secret })));
      case 'get-version':
        return { kind: 'version', version: HNET_VERSION, userAgent: USER_AGENT };
      case 'get-latency':
        // The engine has no per-peer measurement to offer websetup; -1 says so.
        return { kind: 'latency', ms: -1 };
      case 'cleanup':
        return this.cleanup(link.address);
    }
  }

  private async joinAnswered(): Promise<WebsetupReply> {
    const link = this.link!;
    const wasPending = link.pendingCode !== undefined;
    const saved = await this.changeLink(({ pendingCode: _done, ...rest }) => ({
      ...rest,
      lastInitResponse: Date.now(),
    }));
    if (!saved.ok) return { kind: 'error' };
    if (wasPending) {
      this.log.info('websetup-joined', { websetup: link.address, hostname: link.hostname });
      if (link.hostname !== this.c.config.hostname) await this.c.setHostname(link.hostname);
    }
    for (const waiter of [...this.joinWaiters]) waiter();
    return { kind: 'ok' };
  }

  private async cleanup(websetup: string): Promise<WebsetupReply> {
    for (const entry of [...this.c.hosts.entries]) await this.c.hosts.remove(entry.hostname);
    for (const address of this.c.whitelist.state.addresses)
      if (address !== websetup) await this.c.whitelist.remove(address);
    await this.changeLink((l) => ({
      ...l,
      pushedAddresses: l.pushedAddresses?.filter((a) => a === websetup),
      pushedHosts: [],
    }));
    return { kind: 'ok' };
  }

  /**
   * Adds what websetup asks for, noting it as websetup's first unless the user had it already: the
   * note is saved before the change, so a crash between the two can never leave an unnoted entry.
   */
  private async pushAddress(address: string): Promise<Outcome<unknown>> {
    if (!this.c.whitelist.state.addresses.includes(address)) {
      const noted = await this.changeLink((l) => ({
        ...l,
        pushedAddresses: [...(l.pushedAddresses ?? []).filter((a) => a !== address), address],
      }));
      if (!noted.ok) return noted;
    }
    return this.c.whitelist.add(address);
  }

  private async pushHost(entry: HostEntry): Promise<Outcome<unknown>> {
    if (!this.c.hosts.entries.some((e) => sameEntry(e, entry))) {
      const noted = await this.changeLink((l) => ({
        ...l,
        pushedHosts: [
          ...(l.pushedHosts ?? []).filter((h) => h.hostname.toLowerCase() !== entry.hostname.toLowerCase()),
          entry,
        ],
      }));
      if (!noted.ok) return noted;
    }
    return this.c.hosts.add(entry);
  }

  /** Changes the saved link as it is now; refused once the device has left. */
  private changeLink(change: (link: WebsetupLink) => WebsetupLink): Promise<Outcome<void>> {
    return this.file.update((state) =>
      state.websetup
        ? success({ next: { ...state, websetup: change(state.websetup) }, answer: undefined })
        : failure('NotFound', 'this device has left its network'),
    );
  }
}

const sameEntry = (a: HostEntry, b: HostEntry): boolean =>
  a.hostname.toLowerCase() === b.hostname.toLowerCase() && a.address === b.address;
