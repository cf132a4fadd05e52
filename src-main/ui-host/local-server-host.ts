// "Host a server on this machine": decides where the stack keeps its state, which ports it takes
// and which address it advertises, starts it once (a second click answers the running one), and
// stops it with the app. Electron and browser mode (hnetd --ui) share it.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../engine/client.js';
import { detectAdvertisedAddress } from './advertised-address.js';
import { findAppFile } from './app-files.js';
import type { BridgeOutcome } from '../contract/ui-bridge.js';
import { localStackArgs } from './local-stack-args.js';
import { LocalServer } from './local-server.js';

export const LOG_FILE = 'hnet-server.log';

export interface LocalServerHostOptions {
  /** hnet-server's state directory (keys, database); its log goes there too. */
  stateDir: string;
  /** argv that runs hnet-server; the stack's arguments are appended. */
  command: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Standard ports (80, 443) rather than ports above 1024. */
  privileged: boolean;
  /** The address to advertise instead of the detected one. */
  advertise?: string;
  detectAddress?: () => Promise<string | undefined>;
  log: Logger;
}

/** Finding the address to advertise, then hnet-server starting until it serves its license. */
export type LocalServerStep = 'address' | 'starting';

export interface HostedHere {
  url: string;
  fingerprint: string;
  /** Opens the dashboard ready to create the first account; absent once the server had one. */
  setupUrl: string | undefined;
  logFile: string;
}

export class LocalServerHost {
  private server: LocalServer | undefined;
  private starting: Promise<BridgeOutcome<HostedHere>> | undefined;

  constructor(private readonly options: LocalServerHostOptions) {}

  /**
   * Starts the stack, or answers the one already running; `onStep` hears each step as it begins
   * (a start already under way reports to its own caller only).
   */
  start(onStep: (step: LocalServerStep) => void = () => undefined): Promise<BridgeOutcome<HostedHere>> {
    if (this.server?.running) return Promise.resolve({ ok: true, value: describe(this.server) });
    this.starting ??= this.launch(onStep).finally(() => (this.starting = undefined));
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting;
    await this.server?.stop();
  }

  private async launch(onStep: (step: LocalServerStep) => void): Promise<BridgeOutcome<HostedHere>> {
    const { options } = this;
    onStep('address');
    const advertise = options.advertise ?? (await (options.detectAddress ?? detectAdvertisedAddress)());
    if (!advertise)
      return refuse(
        'This machine has no network address other devices could reach (only loopback or hnet itself). Connect it to a network and try again; nothing was changed.',
      );
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    onStep('starting');
    const started = await LocalServer.start({
      command: [
        ...options.command,
        ...localStackArgs({
          stateDir: options.stateDir,
          advertise,
          privileged: options.privileged,
          name: `hnet server on ${hostname()}`,
        }),
      ],
      env: options.env,
      cwd: options.stateDir,
      logFile: join(options.stateDir, LOG_FILE),
      log: options.log,
    });
    if (!started.ok) return started;
    this.server = started.value;
    return { ok: true, value: describe(started.value) };
  }
}

const describe = (server: LocalServer): HostedHere => ({
  url: server.url,
  fingerprint: server.fingerprint,
  setupUrl: server.setupUrl,
  logFile: server.logFile,
});

const refuse = (message: string) => ({
  ok: false as const,
  error: { kind: 'NotAvailable' as const, message },
});

/** Root binds the standard ports; anyone else gets ports above 1024. */
export const isPrivileged = (): boolean => process.getuid?.() === 0;

/**
 * How to run hnet-server from where this code runs: the bundle next to a build, or the sources
 * through tsx when running from the repository.
 */
export function hnetServerCommand(resourcesDir?: string): string[] | undefined {
  if (fileURLToPath(import.meta.url).endsWith('.ts')) {
    const cli = fileURLToPath(new URL('../../src-server/cli.ts', import.meta.url));
    // Resolved here: hnet-server runs in its state directory, where no node_modules is.
    return [process.execPath, '--import', import.meta.resolve('tsx'), cli];
  }
  const bundle = [
    resourcesDir && join(resourcesDir, 'daemons', 'hnet-server.mjs'),
    findAppFile('dist/daemons/hnet-server.mjs'),
    findAppFile('daemons/hnet-server.mjs'),
  ].find((path): path is string => path !== undefined && existsSync(path));
  return bundle ? [process.execPath, bundle] : undefined;
}
