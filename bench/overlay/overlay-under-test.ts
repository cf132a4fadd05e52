import type { Host } from '../../e2e/lab/index.js';
import type { HostPair } from './bench-lab.js';

/**
 * An overlay network the benchmark can measure: it is started on the two hosts of a pair, every
 * figure is taken between the inner addresses it reports, and it is stopped before the next row.
 *
 * The time-to-first-ping figure starts just before `start`, so everything a user waits for when
 * both ends come up (keys, daemons, interfaces, handshakes) is inside it; `start` may return
 * before the overlay carries traffic.
 *
 * Implementations: wireguard-go.ts (the reference row) and hnet.ts (root helper + hnetd on both
 * hosts, a base server on the lab's Internet, each node whitelisting the other).
 */
export interface OverlayUnderTest {
  /** How the table names it, with its version. */
  readonly name: string;
  /** How it is run, in a few words, for the notes under the table. */
  readonly runs?: string;
  start(pair: HostPair): Promise<RunningOverlay>;
}

/** A step on the way to the first ping, and when it was done: ms after `since`, null if it never was. */
export interface StartupStep {
  readonly step: string;
  readonly ms: number | null;
}

export interface RunningOverlay {
  /** The inner address the overlay gives host; what ping and iperf3 are pointed at. */
  addressOf(host: Host): string;
  /**
   * Asked once the first ping got through: when each step towards it was done, in ms after
   * `since` (the `performance.now()` taken before `start`), in the order they happen. Overlays
   * that cannot tell leave it out.
   */
  startupSteps?(since: number): Promise<StartupStep[]>;
  /** The offloads a uses now, as its status says (e.g. "TSO USO GSO GRO"); null when it says none. */
  offloads?(): Promise<string | null>;
  /** The round trip from a to b (ms) that the overlay's own status shows now; null when it shows none. */
  shownRttMs?(): Promise<number | null>;
  /**
   * Stops the overlay's daemons on both hosts, its privileged service left running, and starts
   * them again: resolves with when the start began (`performance.now()`), once they answer.
   */
  restartDaemons?(): Promise<number>;
  /**
   * Stops everything on both hosts and starts it again with the state kept (keys, settings), as a
   * reboot does: resolves with when the start began (`performance.now()`), once the daemons answer.
   * Overlays whose keys are made before `start` leave it out: their first start is already that.
   */
  restartAll?(): Promise<number>;
  /** Stops everything `start` began; the hosts are left as they were found. */
  stop(): Promise<void>;
}
