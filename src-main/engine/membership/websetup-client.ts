// The device's side of websetup (PROTOCOL.md §7): port 5580 of the device's overlay address, kept
// by the data plane inside the session with the websetup node it joined (management-port.ts). It
// takes commands only from that node and only with the secret it made for that join, and applies
// them to the whitelist, the host table and the device's name. While a join is pending it repeats
// `init-request-join-code` every 5 s, signed with the device key (proof that the engine asks).
//
// Names have owners. What websetup added is noted in the link (pushedAddresses, pushedHosts), and
// websetup removes only that: what the user added by hand stays. A name websetup pushes must be a
// device name (a single label: src-shared/hostname.ts) and may not take the device's own name
// or a name the user set by hand; such a command is answered `error` and changes nothing. Commands
// are applied one at a time in the order they came, and an exact repeat (websetup resends until
// it hears back) is answered again without being applied again, so a late copy cannot undo a newer
// command.
//
// The join's answer: hnet's websetup names, in its init-response, the name it gave this device and
// its networks, and answers a code it does not take with `hnet-join-refused` (an hnet extension,
// sent only to signed requests), after which the device asks no more.
import { formatAddress, parseOverlayAddress } from '../../../src-protocol/address.js';
import {
  encodeNodeRequest,
  encodeWebsetupReply,
  openWebsetupDatagram,
  parseWebsetupCommand,
  proveJoin,
  replyForRejectedCommand,
  WEBSETUP_SERVER_PORT,
  type JoinRefusal,
  type NodeRequest,
  type WebsetupCommand,
  type WebsetupReply,
} from '../../../src-protocol/websetup-messages.js';
import type { EnrolmentComponents, EnrolmentFile, WebsetupLink } from './enrolment-state.js';
import { errorText, failure, success, type Outcome } from '../../contract/errors.js';
import type { HostEntry } from '../../contract/names.js';
import { deviceNameProblem, sameName } from '../../../src-shared/hostname.js';
import { HNET_VERSION } from '../version.js';

/** Stock devices repeat a pending join this often. */
export const JOIN_RETRY_MS = 5_000;
/** A device asks websetup for a fresh init-response when the last one is older than this. */
const REFRESH_AFTER_MS = 15 * 60_000;
const REFRESH_RETRY_MS = 60_000;
const USER_AGENT = `hnet,${process.platform},${process.arch},${HNET_VERSION}`;
/** Commands waiting to be applied; websetup sends a few at a time, so more means a flood. */
const MAX_QUEUED = 256;
/** Recent commands remembered with their answers, to recognise websetup's resends. */
const REMEMBERED = 256;

export interface WebsetupClientOptions {
  retryMs?: number;
}

/** How a pending join ended, as far as `joined` waited. */
export type JoinAnswer = 'joined' | 'refused' | 'no-answer';

/** Network names an init-response may carry, and how many are kept (enrolment-state.ts). */
const MAX_NETWORK_NAMES = 16;
const MAX_NETWORK_NAME = 64;

/**
 * What hnet's websetup says in an init-response's JSON payload; any other payload (a stock server's)
 * says nothing. Names are checked here, since they end up on screens.
 */
function initResponseFacts(payload: string): { hostname?: string; networks?: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const { hostname, networks } = value as Record<string, unknown>;
  const shown = (name: unknown): name is string =>
    typeof name === 'string' && name.length > 0 && name.length <= MAX_NETWORK_NAME && !/\p{C}/u.test(name);
  return {
    ...(typeof hostname === 'string' && { hostname }),
    ...(Array.isArray(networks) && { networks: networks.filter(shown).slice(0, MAX_NETWORK_NAMES) }),
  };
}

export class WebsetupClient {
  private timer: NodeJS.Timeout | undefined;
  private lastRefreshRequest = 0;
  private readonly joinWaiters = new Set<(answer: JoinAnswer) => void>();
  private readonly log: EnrolmentComponents['log'];
  /** The websetup node being joined, managed from before its link is saved (prepareJoin). */
  private joining: Uint8Array | undefined;
  private unfollow: (() => void) | undefined;
  /** The command being applied, and those waiting behind it. */
  private applying: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Answers to recent commands, by the datagram's text after the secret. */
  private readonly answered = new Map<string, WebsetupReply>();

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
    this.c.management?.listen((bytes, fromIp, fromPort) => {
      if (this.queued >= MAX_QUEUED) return;
      this.queued += 1;
      this.applying = this.applying
        .then(() => this.receive(bytes, fromIp, fromPort))
        .catch((error: unknown) => this.log.warn('websetup-command-failed', { reason: errorText(error) }))
        .finally(() => {
          this.queued -= 1;
        });
    });
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

  /** Resolves on init-response or hnet-join-refused, or with `no-answer` after `ms`. */
  joined(ms: number): Promise<JoinAnswer> {
    if (this.link?.refused) return Promise.resolve('refused');
    if (this.link && this.link.pendingCode === undefined) return Promise.resolve('joined');
    return new Promise((resolve) => {
      const done = (answer: JoinAnswer) => {
        clearTimeout(timeout);
        this.joinWaiters.delete(done);
        resolve(answer);
      };
      const timeout = setTimeout(() => done('no-answer'), ms);
      this.joinWaiters.add(done);
    });
  }

  private settleJoin(answer: JoinAnswer): void {
    for (const waiter of [...this.joinWaiters]) waiter(answer);
  }

  private manageLinked(): void {
    const linked = this.link && parseOverlayAddress(this.link.address);
    this.c.management?.manage(this.joining ?? linked);
  }

  private tick(): void {
    const link = this.link;
    if (!link) return;
    if (link.pendingCode !== undefined) {
      // Refused: asking again would get the same answer; a new `hnet join` starts over.
      if (link.refused) return;
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
    const { seq, command: kind, payload } = opened.value;
    const text = `${seq}${kind}\n${payload}`;
    let reply = this.answered.get(text);
    if (!reply) {
      const command = parseWebsetupCommand(opened.value);
      reply = command.ok ? await this.apply(command.value) : replyForRejectedCommand(command.error);
      this.answered.set(text, reply);
      if (this.answered.size > REMEMBERED) this.answered.delete(this.answered.keys().next().value!);
    }
    const encoded = encodeWebsetupReply(seq, reply);
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
        return this.joinAnswered(command.payload);
      case 'hnet-join-refused':
        return this.joinRefused(command.reason);
      case 'whitelist-add':
        return done(await this.pushAddress(formatAddress(command.address)));
      case 'whitelist-rm': {
        const address = formatAddress(command.address);
        // Websetup cannot cut itself off: that would leave the device unmanageable.
        if (address === link.address) return { kind: 'error' };
        // An address the user let in stays: websetup takes back only what it added.
        if (!link.pushedAddresses?.includes(address)) return { kind: 'ok' };
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
      case 'host-add': {
        const entry = { hostname: command.hostname, address: formatAddress(command.address) };
        const held = hosts.entries.find((e) => sameName(e.hostname, entry.hostname));
        // The user's own entry saying the same stays theirs; websetup's is made exactly so.
        const userSaysSo = held && sameEntry(held, entry) && !this.pushedHost(held);
        if (userSaysSo || (held?.hostname === entry.hostname && held.address === entry.address))
          return { kind: 'ok' };
        // It may replace a name websetup gave before (since renamed or given to another device).
        const refusal = this.nameRefusal(entry.hostname);
        if (refusal) return this.refuseName(entry.hostname, refusal);
        return done(await this.pushHost(entry));
      }
      case 'host-rm': {
        const gone = { hostname: command.hostname, address: formatAddress(command.address) };
        const entry = hosts.entries.find((e) => sameName(e.hostname, gone.hostname));
        // A name pointing elsewhere was given to another device since, or set by hand: leave it.
        const ours = entry && sameEntry(entry, gone) && this.pushedHost(entry);
        const removed = ours ? await hosts.remove(entry.hostname) : success(undefined);
        await this.changeLink((l) => ({
          ...l,
          pushedHosts: l.pushedHosts?.filter((h) => !sameEntry(h, gone)),
        }));
        return done(removed, !removed.ok && removed.error.kind === 'NotFound');
      }
      case 'set-hostname': {
        const refusal = this.nameRefusal(command.hostname, true);
        if (refusal) return this.refuseName(command.hostname, refusal);
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

  private async joinAnswered(payload: string): Promise<WebsetupReply> {
    const link = this.link!;
    const wasPending = link.pendingCode !== undefined;
    const told = initResponseFacts(payload);
    // The join's answer names what websetup calls this device (the name asked for may have been
    // taken); it is taken now, on the terms set-hostname would be, so the join can report it.
    const given =
      wasPending && told.hostname !== undefined && !this.nameRefusal(told.hostname, true)
        ? told.hostname
        : link.hostname;
    const saved = await this.changeLink(({ pendingCode: _done, refused: _over, ...rest }) => ({
      ...rest,
      hostname: given,
      lastInitResponse: Date.now(),
      ...(told.networks && { networks: told.networks }),
    }));
    if (!saved.ok) return { kind: 'error' };
    if (wasPending) {
      this.log.info('websetup-joined', { websetup: link.address, hostname: given });
      if (given !== this.c.config.hostname) await this.c.setHostname(given);
    }
    this.settleJoin('joined');
    return { kind: 'ok' };
  }

  /** Websetup will not take the pending join's code: stop asking, and say so. */
  private async joinRefused(reason: JoinRefusal): Promise<WebsetupReply> {
    const link = this.link!;
    // A late answer to a join websetup has since taken, or to none: there is nothing to stop.
    if (link.pendingCode === undefined) return { kind: 'error' };
    const saved = await this.changeLink((l) => ({ ...l, refused: reason }));
    if (!saved.ok) return { kind: 'error' };
    this.log.warn('websetup-join-refused', { websetup: link.address, reason });
    this.settleJoin('refused');
    return { kind: 'ok' };
  }

  /** Takes back everything websetup added but its own address; what the user added stays. */
  private async cleanup(websetup: string): Promise<WebsetupReply> {
    for (const entry of [...this.c.hosts.entries])
      if (this.pushedHost(entry)) await this.c.hosts.remove(entry.hostname);
    for (const address of this.link?.pushedAddresses ?? [])
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

  /** Adds a name for a peer, noted first as websetup's (as pushAddress does). */
  private async pushHost(entry: HostEntry): Promise<Outcome<unknown>> {
    const noted = await this.changeLink((l) => ({
      ...l,
      pushedHosts: [...(l.pushedHosts ?? []).filter((h) => !sameName(h.hostname, entry.hostname)), entry],
    }));
    if (!noted.ok) return noted;
    return this.c.hosts.add(entry);
  }

  /**
   * Why websetup may not give this name to a peer (or, `forSelf`, to this device) here; undefined
   * if it may. A peer's name may replace one websetup gave before, this device's name none.
   */
  private nameRefusal(hostname: string, forSelf = false): string | undefined {
    const problem = deviceNameProblem(hostname);
    if (problem) return problem;
    if (!forSelf && sameName(hostname, this.c.config.hostname)) return 'it is this device’s own name';
    const held = this.c.hosts.entries.find((e) => sameName(e.hostname, hostname));
    if (held && !this.pushedHost(held)) return 'the user set that name by hand on this device';
    if (held && forSelf) return `it is the name of ${held.address} here`;
    return undefined;
  }

  private refuseName(hostname: string, reason: string): WebsetupReply {
    this.log.warn('websetup-name-refused', { hostname, reason });
    return { kind: 'error' };
  }

  /** Whether websetup put this very entry here (the user's entries are never websetup's to change). */
  private pushedHost(entry: HostEntry): boolean {
    return (this.link?.pushedHosts ?? []).some((h) => sameEntry(h, entry));
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
  sameName(a.hostname, b.hostname) && a.address === b.address;
