// Where the desktop app's engine comes from (DESIGN.md §1): if an hnetd already serves the
// machine's control socket, the app is just one more client of it; otherwise the app hosts an
// engine in its own process, under the user's own state folder and socket, and stops it on Quit.
// Either way the UI reaches it through a control socket, so both cases take the same path.
import { join } from 'node:path';
import { loadConfig, type Config, ControlClient, startHostedEngine, type Logger } from '../engine/index.js';
import { success, type Outcome } from '../contract/errors.js';
import { SocketEngineLink } from './engine-link.js';

export interface EngineHost {
  mode: 'attached' | 'hosted';
  link: SocketEngineLink;
  config: Config;
  /** Closes the link, and stops the engine if this app started it. */
  close(): Promise<void>;
}

/**
 * Settings for an engine the app hosts: the machine's config file and environment, but state and
 * socket in places the user owns (the system ones belong to root's hnetd).
 */
export function desktopConfig(
  env: Record<string, string | undefined>,
  userDataDir: string,
): Promise<Outcome<Config>> {
  const runtimeDir = env['XDG_RUNTIME_DIR'] ?? userDataDir;
  return loadConfig({
    env: {
      HNET_STATE_DIR: join(userDataDir, 'state'),
      HNET_CONTROL_SOCKET: join(runtimeDir, 'hnet', 'control.sock'),
      ...env,
    },
  });
}

async function hnetdAnswers(socketPath: string): Promise<boolean> {
  const probe = await ControlClient.connect(socketPath);
  if (probe.ok) probe.value.close();
  return probe.ok;
}

export async function attachOrHostEngine(options: {
  /** The machine's hnetd socket (the system config's controlSocket). */
  systemSocket: string;
  /** Settings for an engine of our own, used only when no hnetd answers. */
  ownConfig: Config;
  log: Logger;
}): Promise<Outcome<EngineHost>> {
  const { systemSocket, ownConfig, log } = options;
  if (await hnetdAnswers(systemSocket)) {
    log.info('engine-attached', { socket: systemSocket });
    const link = new SocketEngineLink(systemSocket, log);
    return success({ mode: 'attached', link, config: ownConfig, close: async () => link.close() });
  }

  const started = await startHostedEngine(ownConfig, log);
  if (!started.ok) return started;
  const hosted = started.value;
  log.info('engine-hosted', { socket: ownConfig.controlSocket });
  const link = new SocketEngineLink(ownConfig.controlSocket, log);
  return success({
    mode: 'hosted',
    link,
    config: ownConfig,
    async close() {
      link.close();
      await hosted.stop();
    },
  });
}
