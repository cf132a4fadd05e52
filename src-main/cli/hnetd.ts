#!/usr/bin/env node
// `hnetd`: the engine as a headless daemon. Settings come from the config file and the
// environment (config.ts); the control socket is the only way in. It logs one line per event to
// stderr (journald keeps it), writes its pid next to the socket once it serves, tells systemd it
// is ready, and on SIGTERM or SIGINT closes the socket and stops the engine before exiting.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cryptoBackendInfo, initCrypto } from '../../src-protocol/crypto.js';
import { writeFileAtomic } from '../../src-shared/atomic-file.js';
import {
  configEnvironment,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  startHostedEngine,
  createLogger,
  HNET_VERSION,
} from '../engine/index.js';
import { errorText } from '../contract/errors.js';
import type { UiServer } from '../ui-server/serve-ui.js';
import { notifySystemdReady } from '../../src-shared/systemd-notify.js';
import { becomeEngineUser, resolveEngineUser } from './drop-privileges.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
// After SIGTERM the process is gone within this long, whatever its clients, the helper or a stuck
// close do: well inside systemd's TimeoutStopSec, and hnet0 is never held by a process that
// stopped serving.
const STOP_DEADLINE_MS = 4_000;

const usage = `usage: hnetd [--config <file>] [--ui]

Runs the hnet engine without a window. Manage it with "hnet" (see "hnet --help").

  --config <file>  settings file (JSON; default $HNET_CONFIG or ${DEFAULT_CONFIG_FILE})
  --ui             also serve the hnet UI to a browser on localhost
  --version        print the version
  --help           this text

Settings (config key, environment variable):
${Object.entries(configEnvironment)
  .map(([key, env]) => `  ${key.padEnd(14)} ${env}`)
  .join('\n')}`;

async function main(argv: string[]): Promise<number | undefined> {
  let values: { config?: string; ui?: boolean; help?: boolean; version?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        ui: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`hnetd: ${errorText(error)}\n${usage}\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`hnetd ${HNET_VERSION}\n`);
    return 0;
  }

  const loaded = await loadConfig({ file: values.config, env: process.env });
  if (!loaded.ok) {
    createLogger('info').error('bad-config', { reason: loaded.error.message });
    return EXIT_FAILED;
  }
  const config = loaded.value;
  const log = createLogger(config.logLevel);
  // Even a bug ends as one log line with its stack, not a multi-line dump journald splits apart.
  process.on('uncaughtException', (error) => {
    log.error('crashed', { reason: errorText(error), stack: error.stack ?? null });
    process.exit(EXIT_FAILED);
  });
  // Which libsodium build runs shows in the first line: the WebAssembly fallback is correct but
  // slower, so a packaging mistake that loses the native one must be visible.
  try {
    await initCrypto();
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? errorText(error.cause) : undefined;
    log.error('start-failed', { reason: errorText(error), cause: cause?.split('\n')[0] });
    return EXIT_FAILED;
  }
  const crypto = cryptoBackendInfo();
  log.info('starting', {
    version: HNET_VERSION,
    pid: process.pid,
    crypto: crypto.description,
    nativeCryptoUnavailable: crypto.nativeUnavailable,
  });

  // Root's part ends here: crypto is loaded, no key has been read and no socket opened yet.
  if (process.getuid?.() === 0) {
    const user = await resolveEngineUser(config.user);
    const code = fileURLToPath(new URL('../..', import.meta.url));
    const dropped = user.ok ? await becomeEngineUser(user.value, { ...config, code }) : user;
    if (!dropped.ok) {
      log.error('will-not-run-as-root', { reason: dropped.error.message });
      return EXIT_FAILED;
    }
    if (user.ok && user.value.created) log.info('user-created', { user: config.user });
    log.info('running-as', { user: config.user, uid: process.getuid(), gid: process.getgid?.() });
  }

  const hosted = await startHostedEngine(config, log);
  if (!hosted.ok) {
    log.error('start-failed', { kind: hosted.error.kind, reason: hosted.error.message });
    return EXIT_FAILED;
  }
  const { engine } = hosted.value;
  const pidFile = join(dirname(config.controlSocket), 'hnetd.pid');
  /** The browser UI, once it serves (it starts after the handlers below are in place). */
  const started: { ui?: UiServer } = {};

  // From the moment there is an engine to stop, SIGTERM stops it cleanly (a signal while the UI
  // starts must not kill the process with hnet0 and the socket left behind).
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn('forced-exit', { signal });
      process.exit(EXIT_FAILED);
    }
    stopping = true;
    log.info('stopping', { signal });
    setTimeout(() => {
      log.error('stop-deadline', {
        reason: `not stopped within ${STOP_DEADLINE_MS / 1000} s; exiting without finishing`,
      });
      process.exit(EXIT_FAILED);
    }, STOP_DEADLINE_MS).unref();
    void (async () => {
      try {
        await started.ui?.close();
        await hosted.value.stop();
        await rm(pidFile, { force: true });
      } catch (error) {
        log.error('stop-failed', { reason: errorText(error) });
        process.exit(EXIT_FAILED);
      }
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // The browser UI (ws, the app's handlers) is loaded only when asked for: a daemon that never
  // serves it should not pay for loading it on every start.
  const ui = values.ui
    ? await import('../ui-server/serve-ui.js').then(({ serveUi }) =>
        serveUi({ ...config, log, port: Number(process.env['HNET_UI_PORT'] ?? 0) }),
      )
    : undefined;
  if (ui && !ui.ok) log.warn('browser-ui-unavailable', { reason: ui.error.message });
  if (ui?.ok) {
    // A stop that began while the UI was starting has nothing to close it: close it here.
    if (stopping) await ui.value.close();
    else started.ui = ui.value;
  }
  if (stopping) return undefined;

  await writeFileAtomic(pidFile, `${process.pid}\n`, 0o644);
  log.info('ready', { address: engine.address, socket: config.controlSocket, pidFile });
  notifySystemdReady((error) => log.warn('systemd-notify-failed', { reason: errorText(error) }));
  return undefined;
}

void main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exit(code);
});
