// `npm start`: the desktop app where Electron's binary exists, otherwise the same UI served by
// the engine on localhost: by root, with the root helper and the engine as the user hnet, both
// supervised (run-supervised.ts); by anyone else, the engine alone, as that user, without hnet0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { currentBuild } from './program-build.js';
import { runSupervised } from './run-supervised.js';

const root = new URL('..', import.meta.url).pathname;

function electronBinary(): string | undefined {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** The UI is built on first use, so a fresh clone starts with one command. */
function ensureRendererBuilt(): void {
  if (existsSync(join(root, 'src-renderer', 'dist', 'index.html'))) return;
  console.log('hnet: building the UI (first start)…');
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const built = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (built.status !== 0) {
    console.error('hnet: cannot build the UI (see above)');
    process.exit(1);
  }
}

/**
 * Without root, the engine keeps its state and socket where the user may write (root's hnetd uses
 * /var/lib/hnet and /run/hnet). Settings the user gave explicitly win.
 */
function userEnvironment(): NodeJS.ProcessEnv {
  if (process.getuid?.() === 0) return process.env;
  const dataHome = process.env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  const runtime = process.env['XDG_RUNTIME_DIR'] || dataHome;
  return {
    HNET_STATE_DIR: join(dataHome, 'hnet', 'state'),
    HNET_CONTROL_SOCKET: join(runtime, 'hnet', 'control.sock'),
    ...process.env,
  };
}

const shellEntry = join(root, 'dist', 'src-main', 'electron', 'main.js');
// `npm start -- --browser`: the browser UI even where Electron is installed (a machine reached over
// ssh, or a test).
const browserAsked = process.argv.includes('--browser');
const args = process.argv.slice(2).filter((arg) => arg !== '--browser');
const electron = browserAsked ? undefined : electronBinary();

ensureRendererBuilt();
if (electron && existsSync(shellEntry)) {
  const child = spawn(electron, [shellEntry, ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = browserAsked
    ? 'the UI is served in your browser, as --browser asks'
    : electron
      ? 'the UI is served in your browser: the desktop shell is not built (npm run build)'
      : "the UI is served in your browser: Electron's binary is not installed (an offline install)";
  if (process.getuid?.() === 0) await runSupervised(why, args);
  console.log(`hnet: ${why}`);
  const [node, ...argv] = currentBuild().argv('hnetd', ['--ui', ...args], root);
  const child = spawn(node!, argv, {
    stdio: 'inherit',
    env: userEnvironment(),
  });
  // Ctrl-C reaches the engine too (same process group); other signals are passed on. Either way
  // we wait for it to shut down cleanly.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
