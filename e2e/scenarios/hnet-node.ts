// A complete hnet node inside a lab host, as on a real machine: the root helper (which creates
// hnet0 and writes the host's own /etc/hosts), admitting one group, and hnetd, run unprivileged as a
// member of that group (ENGINE_USER), each with its own state directory and sockets; `hnet` runs
// against it. Plus a base server. Used by the scenarios in this folder and by the overlay
// benchmark (bench/overlay/hnet.ts).
//
// The programs run as users run them, compiled into dist/ by `npm run build`, whenever that build
// is current; else from the sources through tsx (scripts/program-build.ts), so a test never runs
// code older than the sources beside it.
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectWhenListening } from '../../src-main/cli/connect-when-listening.js';
import type { LogLevel } from '../../src-main/engine/log.js';
import { ControlClient } from '../../src-main/engine/control/control-client.js';
import type { CallName, ParamsOf, ResultOf } from '../../src-main/contract/control-calls.js';
import type { PeerStatus, Status } from '../../src-main/contract/status.js';
import type { Host, Lab, LabProcess, NatMode, NetNode, Router, Segment } from '../lab/index.js';
import { currentBuild, tsxArgv, type NodeBuild } from '../../scripts/program-build.js';
import { ENGINE_USER, HELPER_GROUP, type LabUser } from '../lab/users.js';

export interface HnetNode {
  readonly host: Host;
  readonly hostname: string;
  readonly address: string;
  readonly daemon: LabProcess;
  /** Runs `hnet <args>` against this node's daemon; resolves with stdout. */
  hnet(args: readonly string[]): Promise<string>;
  status(): Promise<Status>;
}

/** A node as startMeasuredNode started it: its control socket too, and how its start went. */
export interface StartedNode extends HnetNode {
  readonly controlSocket: string;
  /** When (performance.now() of this process) the helper said it listens, then hnetd's socket answered, at the last start. */
  readonly started: { readonly helperReady: number; readonly daemonReady: number };
  /** One control API call, as `hnet` makes it but without starting a process; throws on failure. */
  call<K extends CallName>(name: K, params: ParamsOf<K>): Promise<ResultOf<K>>;
  /** Stops hnetd alone, the helper left running (as a service restart does)… */
  stopDaemon(): Promise<void>;
  /** …and starts it again as before, with its state: resolves once it answers. */
  startDaemon(): Promise<void>;
  /** Stops hnetd and the helper, as a shutdown does… */
  stopAll(): Promise<void>;
  /** …and starts both at once with the state kept, as a boot does: resolves once hnetd answers. */
  startAll(): Promise<void>;
}

/** The root helper running now behind each node startNode started, for stopNode. */
const helpers = new WeakMap<HnetNode, () => LabProcess>();

/**
 * The environment of this process without what no unit gives the programs: systemd starts them
 * with a clean one. NODE_EXTRA_CA_CERTS in particular makes Node 20 build its whole CA store
 * before running any code, about 80 ms of CPU per process here (a shell profile or CI image may
 * set it); neither program calls a TLS server on the way to its first packet.
 */
function unitEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  return env;
}

export interface NodeOptions {
  readonly baseServers: readonly string[];
  readonly hostname?: string;
  /** `debug` by default, so a failing scenario shows every path change in its message. */
  readonly logLevel?: LogLevel;
  /** A TypeScript daemon to run (through tsx) instead of hnetd: same environment, same control socket. */
  readonly daemonScript?: string;
  /** currentBuild() unless given. */
  readonly build?: NodeBuild;
  /** More environment for hnetd, e.g. HNET_DATA_LANE=off. */
  readonly env?: Readonly<Record<string, string>>;
  /** More arguments for hnetd, e.g. --ui. */
  readonly daemonArgs?: readonly string[];
  /** Who hnetd runs as: ENGINE_USER (a member of the helper's group) unless given. */
  readonly user?: LabUser;
}

/**
 * One temporary directory for every node of a test file; remove it in `after`. Traversable by
 * all, so unprivileged engines reach the folders of theirs inside it.
 */
export async function makeScratch(): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'hnet-scenario-'));
  await chmod(scratch, 0o755);
  return scratch;
}

export const removeScratch = (scratch: string): Promise<void> =>
  rm(scratch, { recursive: true, force: true });

export interface BaseServer {
  /** `ip:443`, as nodes are configured with it. */
  readonly server: string;
  readonly process: LabProcess;
}

/** `hnet-server base` on `host`'s standard ports; `args` adds options, e.g. `--cluster URL`. */
export async function startBase(host: Host, args: readonly string[] = []): Promise<BaseServer> {
  const process = host.spawnScript('src-server/cli.ts', [
    'base',
    '--tcp',
    '0.0.0.0:443',
    '--udp',
    '0.0.0.0:5582',
    '--no-metrics',
    ...args,
  ]);
  await process.waitForOutput(/base server listening/);
  return { server: `${host.ip}:443`, process };
}

/** A whole hnet-server stack (base, dashboard with license.json, websetup) on a lab host. */
export interface ServerStack {
  readonly process: LabProcess;
  /** The license key fingerprint hnet-server prints once ready, as its owner would read it. */
  readonly fingerprint: Promise<string>;
  /** The link it prints to create the first account, with the one-time setup token in its #fragment. */
  readonly setupUrl: Promise<string>;
}

/** The setup token in a link `ServerStack.setupUrl` gave. */
export const setupTokenOf = (setupUrl: string): string => new URL(setupUrl).hash.replace(/^#setup=/, '');

/**
 * Starts the stack on `host`'s standard ports (HTTP 80, base TCP 443 and UDP 5582); `allowSignup`
 * keeps sign-up open after the first account, for tests that need a second one; `database` is a
 * postgres:// URL to keep the data in instead of SQLite.
 */
export function startServerStack(
  host: Host,
  stateDir: string,
  options: { allowSignup?: boolean; database?: string } = {},
): ServerStack {
  const process = host.spawnScript('src-server/cli.ts', [
    '--state-dir',
    stateDir,
    '--public-ip',
    host.ip,
    '--http',
    '0.0.0.0:80',
    '--tcp',
    '0.0.0.0:443',
    '--udp',
    '0.0.0.0:5582',
    '--no-metrics',
    ...(options.allowSignup ? ['--allow-signup'] : []),
    ...(options.database ? ['--database', options.database] : []),
  ]);
  // The setup line comes just before the ready line, and only while the server has no account.
  const ready = process.waitForOutput(
    /(?:hnet-server setup: .*? (\S+#setup=[\w-]+)[\s\S]*?)?hnet-server ready: .*license key ((?:[0-9a-f]{4} ){15}[0-9a-f]{4})/,
    30_000,
  );
  const fingerprint = ready.then((printed) => printed[2]!);
  const setupUrl = ready.then((printed) => {
    if (!printed[1]) throw new Error('hnet-server printed no setup link: the server has an account already');
    return printed[1];
  });
  // Awaited by the tests that sign up; the others must not see it as an unhandled rejection.
  setupUrl.catch(() => undefined);
  return { process, fingerprint, setupUrl };
}

/** The Internet of a scenario: a base server on it, and one home LAN behind a router per NAT mode. */
export interface Internet {
  inet: Segment;
  baseHost: Host;
  base: BaseServer;
  homes: Home[];
}

export interface Home {
  lan: Segment;
  router: Router;
}

/** Builds the Internet segment with a running base server and home LANs `lan1`… behind `nat1`…. */
export async function internetWithHomes(lab: Lab, modes: readonly NatMode[]): Promise<Internet> {
  const inet = await lab.segment('inet');
  const homes: Home[] = [];
  for (const [i, mode] of modes.entries()) {
    const lan = await lab.segment(`lan${i + 1}`);
    homes.push({ lan, router: await lab.router(`nat${i + 1}`, { wan: inet, lan, mode }) });
  }
  const baseHost = await lab.host('base', { on: inet });
  return { inet, baseHost, base: await startBase(baseHost), homes };
}

/** One call on `client`, which is closed after it; throws with the daemon's reason on failure. */
async function callAndClose<K extends CallName>(
  client: ControlClient,
  name: K,
  params: ParamsOf<K>,
): Promise<ResultOf<K>> {
  try {
    const answer = await client.call(name, params);
    if (!answer.ok) throw new Error(`${name}: ${answer.error.message}`);
    return answer.value;
  } finally {
    client.close();
  }
}

/** One call on a connection of its own. */
async function callOnce<K extends CallName>(
  socketPath: string,
  name: K,
  params: ParamsOf<K>,
): Promise<ResultOf<K>> {
  const connected = await ControlClient.connect(socketPath);
  if (!connected.ok) throw new Error(connected.error.message);
  return callAndClose(connected.value, name, params);
}

/** Resolves once hnetd answers on `socketPath`; fails at once if the daemon exits first. */
async function daemonAnswers(
  daemon: LabProcess,
  socketPath: string,
  timeoutMs: number,
): Promise<ControlClient> {
  const exited = new AbortController();
  void daemon.exited.then(() => exited.abort());
  const connected = await connectWhenListening(socketPath, {
    deadline: Date.now() + timeoutMs,
    signal: exited.signal,
  });
  if (connected.ok) return connected.value;
  const why = daemon.running ? `no answer within ${timeoutMs / 1000} s` : 'it exited';
  throw new Error(`${connected.error.message} (${why})`);
}

/**
 * The engine is never root (issue 15): every scenario fails at once if an hnetd it started runs
 * with uid 0, in any of the real, effective, saved or filesystem ids.
 */
async function refuseRootEngine(daemon: LabProcess): Promise<void> {
  const status = await readFile(`/proc/${daemon.pid}/status`, 'utf8');
  const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [0];
  if (uids.includes(0)) throw new Error(`hnetd (pid ${daemon.pid}) runs as root: uids ${uids.join(' ')}`);
}

/** The root helper and hnetd on `host`, ready once hnetd answers on its control socket. */
export const startNode = (host: Host, scratch: string, options: NodeOptions): Promise<HnetNode> =>
  startMeasuredNode(host, scratch, options);

/** startNode, and what the benchmark reads: when each program was ready, the control socket. */
export async function startMeasuredNode(
  host: Host,
  scratch: string,
  options: NodeOptions,
): Promise<StartedNode> {
  const build = options.build ?? currentBuild();
  const user = options.user ?? ENGINE_USER;
  const dir = join(scratch, host.name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  // The engine's own folders, as systemd's StateDirectory= and RuntimeDirectory= would make them.
  const stateDir = join(dir, 'state');
  const runDir = join(dir, 'run');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  for (const owned of [stateDir, runDir]) await chown(owned, user.uid, user.gid);
  const helperSocket = join(dir, 'helper.sock');
  const controlSocket = join(runDir, 'control.sock');
  const helperConfig = join(dir, 'helper.json');
  // /etc/hosts inside the namespace is the host's private file (a bind mount): the helper edits it in place.
  await writeFile(
    helperConfig,
    JSON.stringify({
      group: HELPER_GROUP,
      socketPath: helperSocket,
      hostsFile: '/etc/hosts',
      stateFile: join(dir, 'helper-state.json'),
    }),
  );
  // Both at once, as their systemd units start them: hnetd opens hnet0 once the helper listens.
  let helper: LabProcess;
  const spawnHelper = (): Promise<number> => {
    helper = host.spawn(build.argv('helper', ['--config', helperConfig]), { env: unitEnvironment() });
    const listening = helper.waitForOutput(/"event":"listening"/).then(() => performance.now());
    // Awaited once hnetd answers; should hnetd fail first, its error is the one reported.
    listening.catch(() => undefined);
    return listening;
  };
  const helperListening = spawnHelper();
  const hostname = options.hostname ?? host.name;
  const env = {
    ...unitEnvironment(),
    HNET_STATE_DIR: stateDir,
    HNET_CONTROL_SOCKET: controlSocket,
    HNET_HELPER_SOCKET: helperSocket,
    HNET_BASE_SERVERS: options.baseServers.join(','),
    HNET_HOSTNAME: hostname,
    HNET_CONFIG: join(dir, 'hnetd.json'),
    HNET_LOG_LEVEL: options.logLevel ?? 'debug',
    ...options.env,
  };
  await writeFile(env.HNET_CONFIG, '{}', { mode: 0o644 });
  const daemonArgs = options.daemonArgs ?? [];
  const daemonArgv = options.daemonScript
    ? tsxArgv(options.daemonScript, daemonArgs)
    : build.argv('hnetd', daemonArgs);
  let daemon: LabProcess;
  const spawnDaemon = async (): Promise<ControlClient> => {
    const spawned = host.spawn(daemonArgv, { env, user });
    daemon = spawned;
    const answering = await daemonAnswers(spawned, controlSocket, 20_000).catch((error: Error) => {
      throw new Error(`${error.message}\nhnetd on ${host.name} said:\n${spawned.stderr.trim()}`);
    });
    await refuseRootEngine(spawned);
    return answering;
  };
  const client = await spawnDaemon();
  const daemonReady = performance.now();
  let started = { helperReady: await helperListening, daemonReady };
  const { address } = await callAndClose(client, 'status', {});
  const hnet = async (args: readonly string[]): Promise<string> => {
    const result = await host.exec(build.argv('hnet', [...args, '--socket', controlSocket]));
    return result.stdout;
  };
  const node: StartedNode = {
    host,
    hostname,
    address,
    get daemon() {
      return daemon;
    },
    controlSocket,
    get started() {
      return started;
    },
    hnet,
    call: (name, params) => callOnce(controlSocket, name, params),
    status: async () => JSON.parse(await hnet(['status', '--json'])) as Status,
    stopDaemon: async () => void (await daemon.stop()),
    startDaemon: async () => (await spawnDaemon()).close(),
    stopAll: () => stopNode(node),
    startAll: async () => {
      const listening = spawnHelper();
      (await spawnDaemon()).close();
      const daemonReady = performance.now();
      started = { helperReady: await listening, daemonReady };
    },
  };
  helpers.set(node, () => helper);
  return node;
}

/** Stops a node startNode started: the daemon, then the helper (which removes hnet0 with it). */
export async function stopNode(node: HnetNode): Promise<void> {
  await node.daemon.stop();
  await helpers.get(node)?.().stop();
}

/**
 * Each node may talk to the others (whitelist) and knows them by name: resolves once the helper
 * has written every name into the host's /etc/hosts, so `ping <name>` works right after.
 */
export async function introduce(nodes: readonly HnetNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const others = nodes.filter((other) => other !== node);
      for (const other of others) {
        await node.hnet(['whitelist', 'add', other.address]);
        await node.hnet(['hosts', 'add', other.hostname, other.address]);
      }
      await waitForHostsFile(
        node.host,
        others.map((other) => other.hostname),
      );
    }),
  );
}

/** Polls the host's own /etc/hosts until every name in `names` is in it. */
export async function waitForHostsFile(
  host: Host,
  names: readonly string[],
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(host.hostsFile, 'utf8');
    const missing = names.filter((name) => !new RegExp(`\\s${name}(\\s|$)`, 'm').test(text));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${host.name}'s /etc/hosts still lacks ${missing.join(', ')}:\n${text}`);
    await sleep(50);
  }
}

/**
 * Polls `check` until it returns a value, or fails with the last status and the daemon's log. Each
 * look runs `hnet status --json` unless `read` says otherwise (liveStatus, to time how soon).
 */
export async function waitForStatus<T>(
  node: HnetNode,
  check: (status: Status) => T | undefined,
  timeoutMs: number,
  read: () => Promise<Status> = () => node.status(),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    last = await read();
    const found = check(last);
    if (found !== undefined) return found;
    await sleep(200);
  }
  const log = node.daemon.stderr.trim().split('\n').slice(-60).join('\n');
  throw new Error(
    `${node.hostname}: condition not met within ${timeoutMs} ms; last status:\n${JSON.stringify(last, null, 2)}\nhnetd log:\n${log}`,
  );
}

/**
 * What `hnet status --json` prints, read straight from the control socket: no process started per
 * look, so a test can time how soon the engine shows something.
 */
export const liveStatus = (node: StartedNode) => (): Promise<Status> => node.call('status', {});

/** A check for waitForStatus: `peer` is listed and `accept` likes its entry. */
export const peerWhere =
  (peer: HnetNode, accept: (report: PeerStatus) => boolean) =>
  (status: Status): PeerStatus | undefined =>
    status.peers.find((p) => p.address === peer.address && accept(p));

/** The peer's entry once its path is direct. */
/** Probing lasts 10 rounds of 1 s before a direct path counts as impossible; this waits it out. */
export const GIVE_UP_MS = 16_000;

export const directTo = (peer: HnetNode) => peerWhere(peer, (p) => p.path === 'direct');

/** How many echo replies `ping` reports. */
export const pingsReceived = (stdout: string): number => Number(/(\d+) received/.exec(stdout)?.[1] ?? 0);

/**
 * `ping -6` by hostname, `count` requests `intervalS` apart; resolves with its output even when
 * some went unanswered (ping then exits non-zero), so tests assert on the replies themselves.
 */
export async function ping(
  from: NetNode,
  target: string,
  {
    count,
    intervalS = 0.2,
    size,
  }: {
    readonly count: number;
    readonly intervalS?: number;
    /** ICMP payload bytes. */ readonly size?: number;
  },
): Promise<string> {
  const deadlineS = Math.ceil(count * intervalS + 3);
  const sized = size === undefined ? [] : ['-s', String(size)];
  const run = await from.exec(
    ['ping', '-6', '-c', String(count), '-i', String(intervalS), '-w', String(deadlineS), ...sized, target],
    { allowFailure: true, timeoutMs: (deadlineS + 5) * 1000 },
  );
  return run.stdout + run.stderr;
}

/** Each reply's round trip in `ping` output (ms), in order. */
export const pingTimes = (stdout: string): number[] =>
  [...stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The RTT `node`'s status shows for `peer`, once a second, `looks` times (null: it showed none). */
export async function shownRtts(
  node: StartedNode,
  peer: HnetNode,
  looks: number,
): Promise<(number | null)[]> {
  const shown: (number | null)[] = [];
  for (let look = 0; look < looks; look++) {
    if (look > 0) await sleep(1_000);
    const status = await node.call('status', {});
    shown.push(status.peers.find((p) => p.address === peer.address)?.rttMs ?? null);
  }
  return shown;
}

/** The longest run of unanswered requests in `ping -i intervalS -c sent` output, in seconds. */
export function longestGap(pingOutput: string, sent: number, intervalS: number): number {
  const answered = new Set([...pingOutput.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
  let longest = 0;
  let run = 0;
  for (let seq = 1; seq <= sent; seq++) {
    run = answered.has(seq) ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest * intervalS;
}

/** `address` as the kernel prints it (leading zeros of each group dropped). */
export const shortForm = (address: string): string => address.replace(/(^|:)0+(?=[0-9a-f])/g, '$1');
