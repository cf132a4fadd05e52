// `npm start` by root, in browser mode: hnet runs as its package runs it — the root helper (creates
// hnet0, writes /etc/hosts) and hnetd, which gives up root for the user hnet before it reads a key —
// both children of this process, which stops them on Ctrl-C, SIGTERM or SIGHUP (engine first, then
// the helper, which removes hnet0). Their output goes to log files; the terminal gets one short block
// with the address to open, token included (docs/decisions.md, "The start path supervises"). A
// checkout the engine's user cannot read is bind-mounted for it while they run (code-for-engine.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src-main/engine/state/config.js';
import { uiUrlFile } from '../src-main/ui-server/ui-url.js';
import { DEFAULT_CONFIG_PATH } from '../src-helper/config.js';
import { engineCode } from './code-for-engine.js';
import { currentBuild, type Program } from './program-build.js';

const root = new URL('..', import.meta.url).pathname;
/** Starting takes a few seconds (tsx compiles on first use); past this something is wrong. */
const START_DEADLINE_MS = 60_000;
/** hnetd stops within 4 s (its own deadline), the helper at once; then they are killed. */
const STOP_GRACE_MS = 6_000;

interface Supervised {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

/**
 * `program` of the build chosen (program-build.ts: what `npm run build` built, unless the sources are
 * newer) from `code`, its output appended to `log`. In a process group of its own, so a Ctrl-C at the
 * terminal reaches this process alone, which then stops the children in order.
 */
function run(
  name: string,
  code: string,
  program: Program,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv,
): Supervised {
  const fd = openSync(log, 'a', 0o640);
  const [node, ...argv] = currentBuild().argv(program, args, code);
  const child = spawn(node!, argv, {
    cwd: code,
    env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { name, child, log, exited };
}

const running = (process: Supervised): boolean =>
  process.child.exitCode === null && process.child.signalCode === null;

/** The last line of a log that says why a program stopped (an error line, else the last line). */
function lastWords(log: string): string {
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  const reason = [...lines].reverse().find((line) => /level=error|reason=|hnet helper:/.test(line));
  return (reason ?? lines.at(-1) ?? '').slice(0, 400);
}

/** Polls until `ready()` or the process exits or the deadline passes; says which. */
async function waitFor(process: Supervised, ready: () => boolean): Promise<'ready' | 'exited' | 'late'> {
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    if (ready()) return 'ready';
    if (!running(process)) return 'exited';
    if (Date.now() > deadline) return 'late';
    await sleep(100);
  }
}

async function stop(process: Supervised): Promise<void> {
  if (!running(process)) return;
  process.child.kill('SIGTERM');
  const stopped = await Promise.race([
    process.exited.then(() => true),
    sleep(STOP_GRACE_MS).then(() => false),
  ]);
  if (!stopped) process.child.kill('SIGKILL');
  await process.exited;
}

/** Whether something accepts connections on this Unix socket: a helper or an hnetd already running. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** While stopping, a step that failed because of it has nothing to say: the exit is on its way. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

const logText = (log: string): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');

/** `hnetdArgs`: what the user gave `npm start` (e.g. --config), passed on to hnetd. */
export async function runSupervised(browserNote: string, hnetdArgs: readonly string[]): Promise<never> {
  // hnetd's own settings tell where its socket, and so the UI's address file, will be.
  const at = hnetdArgs.indexOf('--config');
  const config = await loadConfig({ file: at === -1 ? undefined : hnetdArgs[at + 1], env: process.env });
  if (!config.ok) {
    console.error(`hnet: ${config.error.message}`);
    process.exit(1);
  }
  // An installed hnet (hnetd.service) owns this machine's engine: a second one would take its socket.
  if (await answers(config.value.controlSocket)) {
    console.error(
      `hnet: an engine is already running here (${config.value.controlSocket} answers), perhaps hnetd.service. "hnet ui" prints its address; stop it first to start hnet from this checkout.`,
    );
    process.exit(1);
  }
  const logDir = process.env['HNET_LOG_DIR'] || '/var/log/hnet';
  mkdirSync(logDir, { recursive: true, mode: 0o750 });
  const helperLog = join(logDir, 'helper.log');
  const engineLog = join(logDir, 'hnetd.log');
  const urlFile = uiUrlFile(config.value.controlSocket);
  // A link left by an engine that was killed would be taken for this run's.
  rmSync(urlFile, { force: true });
  // Last before the children, so nothing between a mount and the handlers that remove it can fail.
  const code = await engineCode(root, config.value.user);
  if (!code.ok) {
    console.error(`hnet: ${code.error.message}`);
    process.exit(1);
  }

  const children: Supervised[] = [];
  let stopping = false;
  const stopAll = async (exitCode: number): Promise<never> => {
    stopping = true;
    for (const child of [...children].reverse()) await stop(child);
    const released = await code.value.release();
    if (!released.ok) console.error(`hnet: ${released.error.message}`);
    process.exit(exitCode);
  };
  const fail = (process: Supervised, what: string): Promise<never> => {
    if (stopping) return never();
    console.error(
      `hnet: ${process.name} ${what}: ${lastWords(process.log)}\n  (its whole log: ${process.log})`,
    );
    return stopAll(1);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void (stopping ? undefined : stopAll(0)));

  // A helper already running (hnet-helper.service) serves this engine as it would the package's.
  const helperRunning = await answers(config.value.helperSocket);
  let helper: Supervised | undefined;
  let helperUp: ReturnType<typeof waitFor> | undefined;
  if (!helperRunning) {
    const helperConfig = process.env['HNET_HELPER_CONFIG'] || DEFAULT_CONFIG_PATH;
    const logStart = logText(helperLog).length;
    helper = run('the root helper', root, 'helper', ['--config', helperConfig], helperLog, process.env);
    children.push(helper);
    helperUp = waitFor(helper, () => /"event":"listening"/.test(logText(helperLog).slice(logStart)));
  }
  // Both load at once, as their systemd units start them: the engine opens hnet0 the moment the
  // helper's socket appears.
  const engine = run(
    'the engine (hnetd)',
    code.value.path,
    'hnetd',
    ['--ui', ...hnetdArgs],
    engineLog,
    process.env,
  );
  children.push(engine);
  if (helper && helperUp) {
    const up = await helperUp;
    if (up !== 'ready') return fail(helper, up === 'exited' ? 'stopped' : 'did not start in time');
  }
  if (stopping) return never();
  const engineUp = await waitFor(engine, () => existsSync(urlFile));
  if (engineUp !== 'ready') return fail(engine, engineUp === 'exited' ? 'stopped' : 'did not start in time');
  const url = readFileSync(urlFile, 'utf8').trim();
  const build = currentBuild();

  for (const child of children)
    void child.exited.then(() => (stopping ? undefined : fail(child, 'stopped unexpectedly')));
  console.log(
    [
      '',
      'hnet is running. Open this address in a browser on this machine:',
      '',
      `    ${url}`,
      '',
      `  engine       hnetd as user ${config.value.user}, pid ${engine.child.pid}; log ${engineLog}`,
      helper
        ? `  root helper  pid ${helper.child.pid} (hnet0, /etc/hosts); log ${helperLog}`
        : `  root helper  already running here (${config.value.helperSocket}), not started by this command`,
      ...(code.value.note ? [`  code         ${code.value.note}`] : []),
      // Only when it is not what `npm run build` built: the sources run through tsx, slower to start.
      ...(build.kind === 'sources' ? [`  build        the sources through tsx: ${build.reason}`] : []),
      `  ${browserNote}`,
      helper ? '  Ctrl-C stops both.' : '  Ctrl-C stops the engine.',
      '',
    ].join('\n'),
  );
  return never();
}
