// What the engine answers when a user asks why (`hnet ping`, `hnet netcheck`, the control calls
// `ping` and `netcheck`), declared once for the CLI, the window and tests. Types only.
import type { PortMappingStatus } from './status.js';

/** The way one packet went between this device and a peer. */
export type PingPath =
  | {
      kind: 'direct';
      /** The peer's endpoint, `ip:port` or `[ip]:port`. */
      endpoint: string;
      /** On our own link (a LAN beacon or a private address). */
      lan: boolean;
    }
  | {
      kind: 'base';
      /** The base server in use, `host:port`. */
      server: string | null;
      transport: 'udp' | 'tcp';
    };

/**
 * One heartbeat round trip through the engine (PROTOCOL.md §3, types 4 and 5): unlike ICMP it
 * shows which path the engine chose, and it works without hnet0.
 */
export interface PingResult {
  address: string;
  hostname: string | null;
  /** The path the engine sent the ping on (its traffic to this peer takes it now); null: none. */
  sent: PingPath | null;
  /** Milliseconds until the reply; null when none came within the timeout. */
  rttMs: number | null;
  /** The path the reply came back on (the peer chooses its own); null without a reply. */
  reply: PingPath | null;
}

/** Whether one base server answers, over each transport. */
export interface BaseCheck {
  /** As configured, `host:port`. */
  server: string;
  tcp: {
    /** Time to open a TCP connection (one round trip); null: it could not be opened. */
    latencyMs: number | null;
    error: string | null;
  };
  udp: {
    /** The base's UDP endpoint that was probed; null when it could not be known. */
    endpoint: string | null;
    /** Round trip of hnet's netcheck probe; null: no answer. */
    latencyMs: number | null;
    /** This device's address and port as the base saw them. */
    observed: string | null;
    error: string | null;
  };
}

/**
 * `endpoint-independent`: one local port shows the same public port to every destination, so
 * peers can reach it at the port the base saw. `endpoint-dependent` (a symmetric NAT): a new
 * public port per destination. `none`: no NAT, the base sees this device's own address.
 * `unknown`: fewer than two destinations answered.
 */
export type MappingBehaviour = 'endpoint-independent' | 'endpoint-dependent' | 'none' | 'unknown';

export interface NetcheckReport {
  /** ISO time the check ran. */
  at: string;
  connection: 'up' | 'down';
  bases: BaseCheck[];
  mapping: {
    behaviour: MappingBehaviour;
    /** What each destination (a base port or address) saw of one local UDP socket. */
    observed: { destination: string; endpoint: string }[];
    reason: string;
  };
  lan: {
    /** Whether LAN beacons go out now (they stop while hnet is down or hnet0 is missing). */
    beaconing: boolean;
    /** Interfaces beacons go out on. */
    interfaces: string[];
    /** Devices whose beacon was heard recently. */
    heard: { address: string; endpoint: string; secondsAgo: number }[];
    reason: string;
  };
  /** The port mapping on the home router (PCP, NAT-PMP or UPnP IGD), as the engine holds it now. */
  portMapping: PortMappingStatus;
}
