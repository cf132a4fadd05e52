// A real engine hosted the way the desktop app hosts one (engine-host.ts), in a temporary folder,
// for tests of the shell's pieces under plain Node.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../engine/client.js';
import { attachOrHostEngine, desktopConfig, type EngineHost } from './engine-host.js';

export interface TestEngine {
  host: EngineHost;
  dir: string;
  close(): Promise<void>;
}

export const quietLog = createLogger('error', () => undefined);

export async function hostTestEngine(systemSocket?: string): Promise<TestEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'hnet-shell-'));
  await writeFile(join(dir, 'hnetd.json'), '{}\n');
  const config = await desktopConfig(
    {
      HNET_CONFIG: join(dir, 'hnetd.json'),
      HNET_HELPER_SOCKET: join(dir, 'helper.sock'),
      HNET_HOSTNAME: 'shell-test',
      HNET_UDP_PORT: String(20000 + Math.floor(Math.random() * 20000)),
      XDG_RUNTIME_DIR: join(dir, 'run'),
    },
    join(dir, 'user-data'),
  );
  if (!config.ok) throw new Error(config.error.message);
  const host = await attachOrHostEngine({
    systemSocket: systemSocket ?? join(dir, 'no-hnetd-here.sock'),
    ownConfig: config.value,
    log: quietLog,
  });
  if (!host.ok) throw new Error(host.error.message);
  const ready = await host.value.link.ready(5000);
  if (!ready.ok) throw new Error(ready.error.message);
  return {
    host: host.value,
    dir,
    close: async () => {
      await host.value.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
