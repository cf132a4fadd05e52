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
 * How the hnet rows plug in, once the engine's data plane lands: an `hnet` implementation whose
 * constructor takes the base server (started once per run with `startBase` from
 * e2e/engine-node.ts on a host of `BenchLab.internet`), and whose `start` calls `startNode` from
 * the same file on both hosts (root helper + hnetd, each with its own state directory), then
 * `introduce` so each whitelists the other. Its `addressOf` is the node's fc94 address; `stop`
 * stops both daemons and helpers and removes their scratch directory. The rows are then the
 * pairs `sameLan` (direct), `coneNats` (direct through NATs, plus the failover gap, since a
 * cut NAT-to-NAT path leaves the base to fall back on) and `natPair('sym', 'symmetric')`
 * (tunnelled through the base's UDP relay), added to the list of paths in bench/overlay.ts.
 */
export interface OverlayUnderTest {
  /** How the table names it, with its version. */
  readonly name: string;
  start(pair: HostPair): Promise<RunningOverlay>;
}

export interface RunningOverlay {
  /** The inner address the overlay gives host; what ping and iperf3 are pointed at. */
  addressOf(host: Host): string;
  /** Stops everything `start` began; the hosts are left as they were found. */
  stop(): Promise<void>;
}
