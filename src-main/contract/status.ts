// The shape of everything a user can see about a running engine. The CLI, the GUI and tests all
// read this one type (through the control API); the engine builds it on demand from live state.
import type { HostEntry, WhitelistState } from './names.js';

/** The port-mapping protocols a router may speak. */
export type PortMapProtocol = 'pcp' | 'nat-pmp' | 'upnp';

/** DESIGN.md §3: where a peer's traffic goes right now. */
export type PathState = 'idle' | 'resolving' | 'tunnelled' | 'probing' | 'direct' | 'degraded';

/**
 * Whether the peer answers, as measured now, not as remembered:
 * - `online`: an authenticated packet came from it within the last few seconds;
 * - `idle`: no traffic either way for a while, the session is kept and nothing says it is gone;
 * - `unreachable`: we sent and nothing came back (shown within 5 s of the first unanswered packet);
 * - `offline`: no session (never had one, or it was dropped).
 */
export type PeerReach = 'online' | 'idle' | 'unreachable' | 'offline';

/** What the data plane knows about one peer. */
export interface PeerReport {
  address: string;
  reach: PeerReach;
  /**
   * ISO time of the last answer from the peer, by any path: an authenticated packet, or the reply to
   * a heartbeat of ours (it echoes that ping's random ident); null if none yet.
   */
  lastHeard: string | null;
  path: PathState;
  /** The direct endpoint (`[ip]:port`) when one answered; null while traffic goes via the base. */
  endpoint: string | null;
  /**
   * A recent median of real round trips on the path in use (ms), or null when there is no recent
   * one: never a figure remembered from another path or from minutes ago.
   */
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

/** Whether packets of established direct sessions skip JavaScript (src-main/engine/packets/data-lane.ts). */
export interface DataLaneStatus {
  state: 'on' | 'off';
  /** Why it is off, or what it does. */
  reason: string;
  /** IPv6 packets it carried between hnet0 and peers since the engine started. */
  packets: number;
  /** The kernel's segment offloads in use now; absent while hnet0 is not open. */
  offloads?: OffloadStatus;
}

/**
 * Each true while the kernel does it for us now (src-main/native/src: fd-source.cc, datagram-queue.cc,
 * udp-socket.cc); a kernel without one leaves it false and the engine does without.
 */
export interface OffloadStatus {
  /** hnet0 hands over TCP segments of up to 64 KB (TSO), and the lane writes joined ones back. */
  tcpSegments: boolean;
  /** hnet0 hands over UDP segments of up to 64 KB (USO). */
  udpSegments: boolean;
  /** The lane sends runs of datagrams in one message (UDP GSO). */
  udpSend: boolean;
  /** The socket receives runs of datagrams in one read (UDP GRO). */
  udpReceive: boolean;
}

export interface BaseStatus {
  /**
   * `offline`: no base server is configured; `connecting`: trying, not reached yet since the last
   * change; `unreachable`: configured but not answering (direct peers keep working); `connected`.
   */
  state: 'offline' | 'connecting' | 'unreachable' | 'connected';
  /** UDP while the base answers NAT probes, else TCP (PROTOCOL.md §5). */
  transport: 'udp' | 'tcp' | null;
  /** The base server in use, `host:port`. */
  server: string | null;
  reason: string;
  /**
   * Every base server of the list as last measured, nearest first (absent while the engine runs no
   * base connection): the one in use and, for the others, why they are not.
   */
  servers?: BaseServerReading[];
}

/** One base server's last measurement: the time from TCP connect to its HELLO. */
export interface BaseServerReading {
  server: string;
  /** `unknown`: not measured yet; `unreachable`: did not answer its last measurement or failed in use. */
  state: 'in use' | 'answering' | 'unreachable' | 'unknown';
  /** Milliseconds from TCP connect to HELLO at its last measurement; null unless it answered that one. */
  rttMs: number | null;
  /** ISO time of its last measurement or failure; null when never measured. */
  measuredAt: string | null;
  /** Why it is unreachable, in words; empty otherwise. */
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
  /** The dashboard's names of the networks this device is in, as websetup last said (hnet servers). */
  names?: string[];
  /**
   * `joining` until websetup answers the join code (the device keeps asking every 5 s);
   * `refused` when it answered that it does not take the code (the device stopped asking).
   */
  state: 'joining' | 'joined' | 'refused';
  /** Why websetup refused the join (state `refused`), in words. */
  refusal?: string;
  /** Whether websetup itself answers now, measured as for a peer. */
  reach: PeerReach;
  /** ISO time websetup last confirmed the link. */
  lastContact: string | null;
  /** Whitelist entries and names websetup put here; leaving removes them, the user's own stay. */
  managed: { addresses: number; hostnames: number };
}

/** A device whose LAN beacon (PROTOCOL.md §6) was heard lately, allowed here or not: no server needed. */
export interface NearbyDevice {
  /** Its overlay address, from the beacon (unauthenticated until it answers a signed HELLO). */
  address: string;
  /** Its name in this device's host table, if it has one here. */
  hostname: string | null;
  /** Where the beacon came from: the endpoint a HELLO goes to. */
  endpoint: string;
  /** ISO time its last beacon arrived. */
  lastHeard: string;
}

/** The hnet server this device was set up with (`hnet setup-server`, the window's Server view). */
export interface ServerInUse {
  /** Its address, as set up. */
  url: string;
  /** Its license key's fingerprint, as checked when it was set up. */
  fingerprint: string;
  /** Where its owner manages accounts, networks and join codes; null if its license names none. */
  dashboardUrl: string | null;
  /** Its websetup node's overlay address. */
  websetup: string;
}

/**
 * Whether the home router forwards a public UDP port to the engine's socket (PCP, NAT-PMP or UPnP
 * IGD), so peers behind NATs that cannot be punched still reach this device directly.
 */
export interface PortMappingStatus {
  /**
   * `off`: switched off, or hnet is down; `mapping`: asking the router; `mapped`; `unmapped`: no
   * router mapped the port (asked again later).
   */
  state: 'off' | 'mapping' | 'mapped' | 'unmapped';
  protocol: PortMapProtocol | null;
  /** The router that maps it: the default gateway. */
  gateway: string | null;
  /** Where the Internet reaches the engine's UDP port (`ip:port`), advertised to the base and peers. */
  external: string | null;
  /** ISO time the lease ends unless renewed (it is, at half time); null when mapped with no end. */
  expires: string | null;
  /** What it is, or why there is none, in words. */
  reason: string;
}

export interface Status {
  version: string;
  address: string;
  hostname: string;
  /**
   * `down` after `hnet down` (or Disconnect): the engine keeps running but carries no traffic and
   * talks to no one until `hnet up`; kept across restarts.
   */
  connection: 'up' | 'down';
  base: BaseStatus;
  /** Every peer but the websetup node of this device's network, which is shown as the server. */
  peers: PeerStatus[];
  whitelist: WhitelistState;
  hosts: HostEntry[];
  /** Whether /etc/hosts holds the host table (written through the root helper). */
  hostsFile: HostsSyncStatus;
  /** The network this device joined, if any. */
  networks: NetworkStatus[];
  /** The server set up here, if any; always present from this engine (optional for older ones). */
  server?: ServerInUse | null;
  /** Devices heard on the LAN in the last minute, by address; always present from this engine. */
  nearby?: NearbyDevice[];
  /** Input from the network the data plane refused, per reason (e.g. "p2p-data-without-hello"). */
  drops?: Record<string, number>;
  dataLane?: DataLaneStatus;
  /** The port mapping on the home router; always present from this engine. */
  portMapping?: PortMappingStatus;
}

/** The sections of Status a change can touch; events name the ones that differ. */
export type StatusSection = Exclude<keyof Status, 'version'>;
