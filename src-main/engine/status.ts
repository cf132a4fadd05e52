// The shape of everything a user can see about a running engine. The CLI, the GUI and tests all
// read this one type (through the control API); the engine builds it on demand from live state.
import type { HostEntry } from './host-table.js';
import type { WhitelistState } from './whitelist.js';

/** DESIGN.md §3: where a peer's traffic goes right now. */
export type PathState = 'idle' | 'resolving' | 'tunnelled' | 'probing' | 'direct' | 'degraded';

/** What the data plane knows about one peer. */
export interface PeerReport {
  address: string;
  path: PathState;
  /** The direct endpoint (`[ip]:port`) when one answered; null while traffic goes via the base. */
  endpoint: string | null;
  rttMs: number | null;
  bytesSent: number;
  bytesReceived: number;
  /** ISO time of the last completed security handshake. */
  lastHandshake: string | null;
  /** Why the path is what it is, in words a user understands ("symmetric NAT on both sides"). */
  reason: string;
}

export interface PeerStatus extends PeerReport {
  /** The peer's name from the host table, if it has one. */
  hostname: string | null;
}

/** Whether packets of established direct sessions skip JavaScript (src-main/engine/data-lane.ts). */
export interface DataLaneStatus {
  state: 'on' | 'off';
  /** Why it is off, or what it does. */
  reason: string;
  /** IPv6 packets it carried between hnet0 and peers since the engine started. */
  packets: number;
}

export interface BaseStatus {
  state: 'offline' | 'connecting' | 'connected';
  /** UDP while the base answers NAT probes, else TCP (PROTOCOL.md §5). */
  transport: 'udp' | 'tcp' | null;
  /** The base server in use, `host:port`. */
  server: string | null;
  reason: string;
}

export interface HostsSyncStatus {
  state: 'pending' | 'synced' | 'failed';
  reason: string;
}

/**
 * A network this device joined with a join code. In the Husarnet model one websetup node manages a
 * device (its whitelist, host table and name), so there is at most one.
 */
export interface NetworkStatus {
  /** The websetup node's overlay address. */
  websetup: string;
  /** The hnet server (`hnet setup-server`) whose license names this websetup, if set up here. */
  server: string | null;
  dashboardUrl: string | null;
  /** The name this device has in the network. */
  hostname: string;
  /** `joining` until websetup answers the join code (the device keeps asking every 5 s). */
  state: 'joining' | 'joined';
  /** ISO time websetup last confirmed the link. */
  lastContact: string | null;
  /** Whitelist entries and names websetup put here; leaving removes them, the user's own stay. */
  managed: { addresses: number; hostnames: number };
}

export interface Status {
  version: string;
  address: string;
  hostname: string;
  base: BaseStatus;
  peers: PeerStatus[];
  whitelist: WhitelistState;
  hosts: HostEntry[];
  /** Whether /etc/hosts holds the host table (written through the root helper). */
  hostsFile: HostsSyncStatus;
  /** The network this device joined, if any. */
  networks: NetworkStatus[];
  /** Input from the network the data plane refused, per reason (e.g. "p2p-data-without-hello"). */
  drops?: Record<string, number>;
  dataLane?: DataLaneStatus;
}

/** The sections of Status a change can touch; events name the ones that differ. */
export type StatusSection = Exclude<keyof Status, 'version'>;
