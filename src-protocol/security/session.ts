// The security session with one peer (PROTOCOL.md §3): handshake, data, heartbeats, renegotiation
// and the hnet extensions. PURE: no timers, no I/O, no clock. The caller passes `now` (ms, any
// monotonic origin) into every call, sends every returned packet to the peer inside its outer
// framing (P2P DATA or base DATA), hands `deliver` payloads up, and calls `tick` about once a second.
//
//   const session = new SecuritySession({ own, ownFlags: HNET_FLAGS, peerAddress, helloSeq, now });
//   session.send(payload, now, into?) → { packets, error? } queues and starts a handshake without keys
//   session.receive(packet, now)  → { deliver, packets, error?, event? }
//   session.tick(now)             → { packets }           retries, rekeying, silence, expiry
//   session.heartbeat(now)        → a ping packet; its reply's receive() carries the round trip
//   session.status                → what the CLI and GUI show
//
// Better than stock, on the wire the same: as initiator, hello #3 goes out BEFORE the queued data;
// as responder, data that cannot be opened while hello #3 is awaited is held and opened once #3
// completes the keys. Each completed handshake switches to a fresh X25519 key pair.
import type { Identity } from '../identity.js';
import { compareBytes, equalBytes } from '../bytes.js';
import { fail, type ProtocolError } from '../result.js';
import { softwareCiphers, type DataCipher, type DataCipherFactory, type SealTarget } from './data-cipher.js';
import { MAX_DATA_PAYLOAD } from './data-packet.js';
import { negotiatedExtensions, NO_EXTENSIONS, type Extensions } from './flags.js';
import { encodeHello, openHello, type HandshakeHello, type HelloNumber } from './handshake-hello.js';
import { isOlderSeq, type HelloSeq } from './hello-seq.js';
import { encodeHeartbeat, HEARTBEAT_IDENT_LENGTH, HEARTBEAT_PING, HEARTBEAT_REPLY } from './heartbeat.js';
import { deriveSessionKeys, newKxKeyPair, type KxKeyPair } from './keys.js';
import { systemRandom, type FillRandom } from './random.js';
import { classifySecurityPacket } from './security-packet.js';

/** Stock peers start over after this long without a valid packet; so do we. */
export const RENEGOTIATE_AFTER_SILENCE_MS = 120_000;
/** Rekeying extension: a fresh X25519 exchange this often (the kx client's clock)… */
export const REKEY_AFTER_MS = 120_000;
/** …or after this many packets under one key, whichever comes first. */
export const REKEY_AFTER_PACKETS = 2 ** 20;
/** The kx server rekeys only if the client has not, so the two rarely start a rekey at once. */
const REKEY_SERVER_DELAY_MS = 15_000;
/** Packets sealed under the previous key may still be in flight after a switch. */
export const PREVIOUS_KEY_GRACE_MS = 15_000;
/** A lost hello is sent again after this long; a stale one (helloseq moved on) at once. */
const HELLO_RETRY_MS = 1_000;
/** Stop retrying a handshake nobody answers; the next send starts again. */
const HANDSHAKE_GIVE_UP_MS = 10_000;
/** After answering hello #1, hold undecryptable data this long for hello #3 to arrive. */
const HOLD_FOR_HELLO3_MS = 3_000;
/** Outgoing payloads waiting for keys: bounded in number and age, like a small socket buffer. */
export const MAX_QUEUED = 64;
const QUEUE_TTL_MS = 10_000;
/** Incoming packets held for hello #3. */
export const MAX_HELD = 32;
/**
 * Heartbeats awaiting a reply: more than one, so a retry sent before a slow reply arrived does not
 * make that reply (and the proof that the peer answers) count for nothing.
 */
export const MAX_PENDING_HEARTBEATS = 4;

export type SessionEvent = 'established' | 'rekeyed';

export interface SessionOptions {
  own: Identity;
  /** Our flags, e.g. HNET_FLAGS, or STOCK_FLAGS to behave exactly like a stock peer. */
  ownFlags: bigint;
  peerAddress: Uint8Array;
  /** ONE per process, shared by every session. */
  helloSeq: HelloSeq;
  now: number;
  random?: FillRandom;
  /** Where each key epoch's data crypto lives: in JavaScript by default (softwareCiphers). */
  ciphers?: DataCipherFactory;
}

export interface SendResult {
  packets: Uint8Array[];
  error?: ProtocolError;
}

export interface ReceiveResult {
  /**
   * Decrypted payloads for the layer above, in arrival order. The payload of an ordinary data packet
   * is a view into a buffer this session reuses (the hot path allocates nothing): consume or copy
   * it before the next `receive`.
   */
  deliver: Uint8Array[];
  /** Packets to send back to the peer. */
  packets: Uint8Array[];
  error?: ProtocolError;
  event?: SessionEvent;
  /** The packet proved to come from the peer: data that opened, or a fresh handshake hello. */
  authentic?: true;
  /** The packet answered one of our heartbeats: when that one was sent, and the round trip (ms). */
  roundTrip?: { sentAt: number; ms: number };
}

export interface SessionStatus {
  established: boolean;
  /** A handshake of ours is under way (first keys, renegotiation or rekey). */
  handshaking: boolean;
  lastHandshakeAt: number | undefined;
  peerFlags: bigint | undefined;
  extensions: Extensions;
  queued: number;
}

interface KeyEpoch {
  cipher: DataCipher;
  /** The peer's kx public key these keys were made with. */
  peerKx: Uint8Array;
  establishedAt: number;
  /** cipher.opened at the last tick: packets opened elsewhere (the engine's lane) count as heard. */
  openedAtTick: number;
}

interface PreviousRx {
  cipher: DataCipher;
  until: number;
}

export class SecuritySession {
  private readonly own: Identity;
  private readonly ownFlags: bigint;
  private readonly peerAddress: Uint8Array;
  private readonly helloSeq: HelloSeq;
  private readonly random: FillRandom;
  private readonly ciphers: DataCipherFactory;
  private readonly isKxClient: boolean;
  /** Offered in every hello we send until a handshake completes with it, then replaced. */
  private kx: KxKeyPair;
  private keys: KeyEpoch | undefined;
  private previous: PreviousRx | undefined;
  private extensions: Extensions = NO_EXTENSIONS;
  private peerFlags: bigint | undefined;
  private lastValidAt: number;
  private lastHandshakeAt: number | undefined;
  /** The newest helloseq of the peer's that a completed handshake proved fresh. */
  private newestPeerSeq: bigint | undefined;
  private initiatingSince: number | undefined;
  private hello1SentAt = -Infinity;
  private hello1Seq: bigint | undefined;
  private queue: Uint8Array[] = [];
  private queuedSince = 0;
  private held: Uint8Array[] = [];
  private holdUntil = -Infinity;
  private readonly received = new Uint8Array(MAX_DATA_PAYLOAD);
  /** Our heartbeats awaiting a reply, oldest first. */
  private readonly pendingHeartbeats: { ident: Uint8Array; sentAt: number }[] = [];

  constructor(options: SessionOptions) {
    this.own = options.own;
    this.ownFlags = options.ownFlags;
    this.peerAddress = options.peerAddress.slice();
    this.helloSeq = options.helloSeq;
    this.random = options.random ?? systemRandom;
    this.ciphers = options.ciphers ?? softwareCiphers(this.random);
    this.isKxClient = compareBytes(this.own.address, this.peerAddress) > 0;
    this.kx = newKxKeyPair(this.random);
    this.lastValidAt = options.now;
  }

  get status(): SessionStatus {
    return {
      established: this.keys !== undefined,
      handshaking: this.initiatingSince !== undefined,
      lastHandshakeAt: this.lastHandshakeAt,
      peerFlags: this.peerFlags,
      extensions: this.extensions,
      queued: this.queue.length,
    };
  }

  /** The current epoch's cipher; undefined without keys. */
  get cipher(): DataCipher | undefined {
    return this.keys?.cipher;
  }

  /**
   * Seals into `into` when keys exist and it has room; hellos and flushed queues always come in
   * fresh arrays.
   */
  send(payload: Uint8Array, now: number, into?: SealTarget): SendResult {
    if (payload.length === 0 || payload.length > MAX_DATA_PAYLOAD)
      return {
        packets: [],
        error: fail('BadLength', `Payloads are 1 to ${MAX_DATA_PAYLOAD} bytes long.`).error,
      };
    const packets: Uint8Array[] = [];
    if (this.keys) {
      packets.push(this.keys.cipher.seal(payload, into));
      if (this.rekeyDue(now)) this.initiate(now, packets);
      return { packets };
    }
    let error: ProtocolError | undefined;
    if (this.queue.length < MAX_QUEUED) {
      if (this.queue.length === 0) this.queuedSince = now;
      this.queue.push(payload.slice());
    } else {
      error = fail(
        'QueueFull',
        'Too many packets are waiting for the handshake with this peer; dropped one.',
      ).error;
    }
    this.initiate(now, packets);
    return error ? { packets, error } : { packets };
  }

  receive(packet: Uint8Array, now: number): ReceiveResult {
    const classified = classifySecurityPacket(packet);
    if (!classified.ok) return { deliver: [], packets: [], error: classified.error };
    const kind = classified.value;
    switch (kind.kind) {
      case 'data':
        return this.receiveData(packet, now);
      case 'hello':
        return this.receiveHello(packet, now);
      case 'heartbeat-ping':
        return { deliver: [], packets: [encodeHeartbeat(HEARTBEAT_REPLY, kind.ident)] };
      case 'heartbeat-reply': {
        const pending = this.pendingHeartbeats;
        const index = pending.findIndex((p) => equalBytes(p.ident, kind.ident));
        if (index < 0) return { deliver: [], packets: [] };
        const { sentAt } = pending[index]!;
        // Older ones were lost or overtaken: their replies would only be late duplicates.
        pending.splice(0, index + 1);
        return { deliver: [], packets: [], roundTrip: { sentAt, ms: now - sentAt } };
      }
    }
  }

  tick(now: number): { packets: Uint8Array[] } {
    const packets: Uint8Array[] = [];
    if (this.keys && this.keys.cipher.opened !== this.keys.openedAtTick) {
      this.keys.openedAtTick = this.keys.cipher.opened;
      this.lastValidAt = now;
    }
    if (this.keys && now - this.lastValidAt >= RENEGOTIATE_AFTER_SILENCE_MS) {
      // Like stock: after two minutes of silence the keys are presumed lost on the other side.
      this.retireKeys(this.keys, now);
      this.keys = undefined;
    }
    if (this.previous && now >= this.previous.until) this.previous = undefined;
    if (now >= this.holdUntil) this.held = [];
    if (this.queue.length > 0 && now - this.queuedSince >= QUEUE_TTL_MS) this.queue = [];
    if (this.initiatingSince !== undefined && now - this.initiatingSince >= HANDSHAKE_GIVE_UP_MS)
      this.initiatingSince = undefined;
    if (this.initiatingSince !== undefined || this.queue.length > 0 || this.rekeyDue(now))
      this.initiate(now, packets);
    return { packets };
  }

  /**
   * A heartbeat ping sent at `now`; `receive` of its reply returns the round trip. Its ident is
   * random, so an answer proves that someone who saw this ping replied, though not who (the reply
   * is in clear, as on stock peers).
   */
  heartbeat(now: number): Uint8Array {
    const ident = new Uint8Array(HEARTBEAT_IDENT_LENGTH);
    this.random(ident);
    if (this.pendingHeartbeats.length >= MAX_PENDING_HEARTBEATS) this.pendingHeartbeats.shift();
    this.pendingHeartbeats.push({ ident, sentAt: now });
    return encodeHeartbeat(HEARTBEAT_PING, ident);
  }

  private receiveData(packet: Uint8Array, now: number): ReceiveResult {
    const opened = this.open(packet, now, this.received);
    if (opened.ok) return { deliver: [opened.payload], packets: [], authentic: true };
    if (opened.error.kind === 'Replayed') return { deliver: [], packets: [], error: opened.error };
    if (now < this.holdUntil) {
      // Most likely sealed under the keys hello #3 is about to complete: keep it for then.
      if (this.held.length < MAX_HELD) this.held.push(packet.slice());
      return { deliver: [], packets: [] };
    }
    // The peer believes in keys we do not have. Without keys (we restarted) stock starts a
    // handshake, and so do we. With keys too: the peer completed a handshake whose hello #3 never
    // completed ours (lost, or made stale when a handshake with another peer moved the helloseq
    // on), and without a new one neither side would read the other until 120 s of silence.
    // initiate() sends at most one hello #1 per second, whatever arrives.
    const packets: Uint8Array[] = [];
    this.initiate(now, packets);
    if (this.keys) return { deliver: [], packets, error: opened.error };
    return {
      deliver: [],
      packets,
      error: fail('NoSession', 'Data arrived before a handshake; a new handshake was started.').error,
    };
  }

  private receiveHello(packet: Uint8Array, now: number): ReceiveResult {
    const opened = openHello(packet, this.own.address, this.peerAddress);
    if (!opened.ok) return { deliver: [], packets: [], error: opened.error };
    const hello = opened.value;
    if (hello.number === 1) {
      if (this.newestPeerSeq !== undefined && isOlderSeq(hello.senderSeq, this.newestPeerSeq))
        return {
          deliver: [],
          packets: [],
          error: fail('Replayed', 'An old handshake hello #1 was replayed; ignored.').error,
        };
      this.holdUntil = now + HOLD_FOR_HELLO3_MS;
      return { deliver: [], packets: [this.hello(2, hello.senderSeq)], authentic: true };
    }
    if (hello.echoedSeq !== this.helloSeq.value) {
      // Replayed, or overtaken by another handshake that completed first: stock drops it silently.
      const packets: Uint8Array[] = [];
      if (hello.number === 2 && this.initiatingSince !== undefined) this.initiate(now, packets);
      // A stale #3 means the peer completed keys from our #2 that we cannot complete any more: a
      // handshake of ours restores a common key, unless we already hold keys made with its kx
      // key (two handshakes crossed and both ended on the same pair).
      if (hello.number === 3 && !(this.keys && equalBytes(this.keys.peerKx, hello.kxPublicKey)))
        this.initiate(now, packets);
      return {
        deliver: [],
        packets,
        error: fail('HandshakeMismatch', `Handshake hello #${hello.number} answers a handshake that is over.`)
          .error,
      };
    }
    return this.complete(hello, now);
  }

  private complete(hello: HandshakeHello, now: number): ReceiveResult {
    const derived = deriveSessionKeys({
      ownAddress: this.own.address,
      peerAddress: this.peerAddress,
      ownKx: this.kx,
      peerKxPublicKey: hello.kxPublicKey,
      ownFlags: this.ownFlags,
      peerFlags: hello.flags,
    });
    if (!derived.ok) return { deliver: [], packets: [], error: derived.error };
    this.helloSeq.advance();
    const event: SessionEvent = this.keys ? 'rekeyed' : 'established';
    if (this.keys) this.retireKeys(this.keys, now);
    this.extensions = negotiatedExtensions(this.ownFlags, hello.flags);
    const keys: KeyEpoch = {
      cipher: this.ciphers({ ...derived.value, counted: this.extensions.replayWindow }),
      peerKx: hello.kxPublicKey,
      establishedAt: now,
      openedAtTick: 0,
    };
    this.keys = keys;
    this.peerFlags = hello.flags;
    this.lastHandshakeAt = now;
    this.lastValidAt = now;
    this.newestPeerSeq = hello.senderSeq;
    this.initiatingSince = undefined;
    const packets: Uint8Array[] = [];
    // Hello #3 first, so it reaches the responder before any data sealed under the new keys.
    if (hello.number === 2) packets.push(this.hello(3, hello.senderSeq));
    this.kx = newKxKeyPair(this.random);
    for (const payload of this.queue) packets.push(keys.cipher.seal(payload));
    this.queue = [];
    const deliver: Uint8Array[] = [];
    for (const early of this.held) {
      const opened = this.open(early, now, this.received);
      if (opened.ok) deliver.push(opened.payload.slice());
    }
    this.held = [];
    this.holdUntil = -Infinity;
    return { deliver, packets, event, authentic: true };
  }

  private open(
    packet: Uint8Array,
    now: number,
    into: Uint8Array,
  ): { ok: true; payload: Uint8Array } | { ok: false; error: ProtocolError } {
    let error: ProtocolError | undefined;
    for (const candidate of [
      this.keys,
      this.previous && now < this.previous.until ? this.previous : undefined,
    ]) {
      if (!candidate) continue;
      const opened = candidate.cipher.open(packet, into);
      if (!opened.ok) {
        if (opened.error.kind === 'Replayed') return opened;
        error = opened.error;
        continue;
      }
      this.lastValidAt = now;
      return opened;
    }
    return { ok: false, error: error ?? fail('NoSession', 'No session keys with this peer yet.').error };
  }

  /**
   * The hello #1 last handed out never left (there was no way to the peer yet): the next tick sends
   * it again at once instead of a retry interval later, so a packet queued behind it is not held up.
   */
  helloNotSent(): void {
    this.hello1SentAt = -Infinity;
  }

  /** Starts or continues our handshake, sending hello #1 when a retry is due. */
  private initiate(now: number, packets: Uint8Array[]): void {
    this.initiatingSince ??= now;
    const stale = this.hello1Seq !== this.helloSeq.value;
    if (!stale && now - this.hello1SentAt < HELLO_RETRY_MS) return;
    this.hello1SentAt = now;
    this.hello1Seq = this.helloSeq.value;
    packets.push(this.hello(1, 0n));
  }

  private hello(number: HelloNumber, echoedSeq: bigint): Uint8Array {
    return encodeHello(
      {
        number,
        kxPublicKey: this.kx.publicKey,
        target: this.peerAddress,
        senderSeq: this.helloSeq.value,
        echoedSeq,
        flags: this.ownFlags,
      },
      this.own,
    );
  }

  private rekeyDue(now: number): boolean {
    if (!this.keys || !this.extensions.rekeying) return false;
    if (this.keys.cipher.sent >= REKEY_AFTER_PACKETS) return true;
    const after = this.isKxClient ? REKEY_AFTER_MS : REKEY_AFTER_MS + REKEY_SERVER_DELAY_MS;
    return now - this.keys.establishedAt >= after;
  }

  private retireKeys(keys: KeyEpoch, now: number): void {
    this.previous = { cipher: keys.cipher, until: now + PREVIOUS_KEY_GRACE_MS };
  }
}
