// Every peer the data plane talks to, found by overlay address (packets from the TUN device, DATA
// from the base) or by UDP source (P2P DATA). A UDP source maps to a peer only after that source
// sent a valid signed HELLO (PROTOCOL.md §2), and only the last few per peer are kept, so a forged
// source address cannot inject data and a roaming peer cannot fill the table.
import type { Peer, PeerCandidate } from './peer.js';

/** PROTOCOL.md §2: remember at most five source addresses per peer. */
const SOURCES_PER_PEER = 5;
/** A bound on memory whatever the network sends us (whitelist off and a noisy LAN). */
export const MAX_PEERS = 4096;

export interface AuthenticatedSource {
  peer: Peer;
  candidate: PeerCandidate;
}

/** A compact Map key for a 16-byte address: one char per byte. */
export function addressKey(address: Uint8Array): string {
  let key = '';
  for (let i = 0; i < address.length; i++) key += String.fromCharCode(address[i]!);
  return key;
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length;
}

export class PeerTable {
  private readonly peers = new Map<string, Peer>();
  private readonly bySource = new Map<string, AuthenticatedSource>();
  /** Most packets go to the same peer as the one before: skip the Map for them. */
  private last: Peer | undefined;

  constructor(
    private readonly create: (address: Uint8Array) => Peer,
    private readonly allowsAddress: (address: Uint8Array) => boolean,
  ) {}

  get size(): number {
    return this.peers.size;
  }

  all(): IterableIterator<Peer> {
    return this.peers.values();
  }

  find(address: Uint8Array): Peer | undefined {
    const last = this.last;
    if (last && sameAddress(last.address, address)) return last;
    const found = this.peers.get(addressKey(address));
    if (found) this.last = found;
    return found;
  }

  /** The peer, created on first contact; undefined when the whitelist (or the size bound) says no. */
  findOrCreate(address: Uint8Array): Peer | undefined {
    const found = this.find(address);
    if (found) return found;
    if (!this.allowsAddress(address) || this.peers.size >= MAX_PEERS) return undefined;
    const peer = this.create(address);
    this.peers.set(addressKey(peer.address), peer);
    return peer;
  }

  /** Whether the whitelist lets this address have a peer here (it may not exist yet). */
  allows(address: Uint8Array): boolean {
    return this.allowsAddress(address);
  }

  source(key: string): AuthenticatedSource | undefined {
    return this.bySource.get(key);
  }

  /** `candidate` sent a valid HELLO as `peer`: accept DATA from it from now on. */
  authenticate(peer: Peer, candidate: PeerCandidate): void {
    const existing = this.bySource.get(candidate.key);
    if (existing?.peer === peer) return;
    if (existing) this.forgetSource(existing.peer, candidate.key);
    this.bySource.set(candidate.key, { peer, candidate });
    peer.sources.push(candidate);
    if (peer.sources.length > SOURCES_PER_PEER) this.bySource.delete(peer.sources.shift()!.key);
  }

  /** Drops every peer the whitelist no longer allows; returns them. */
  prune(): Peer[] {
    const removed: Peer[] = [];
    for (const [key, peer] of this.peers) {
      if (this.allowsAddress(peer.address)) continue;
      this.peers.delete(key);
      for (const source of peer.sources) this.bySource.delete(source.key);
      removed.push(peer);
    }
    if (this.last && removed.includes(this.last)) this.last = undefined;
    return removed;
  }

  private forgetSource(peer: Peer, key: string): void {
    const at = peer.sources.findIndex((source) => source.key === key);
    if (at >= 0) peer.sources.splice(at, 1);
    this.bySource.delete(key);
  }
}
