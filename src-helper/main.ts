// Entry point of the root helper: `node main.js [--config /etc/hnet/helper.json]`, run by systemd
// (src-helper/systemd/hnet-helper.service) or the desktop app's one-time install.
import { parseArgs } from 'node:util';
import { removeStaleTempFiles } from '../src-shared/atomic-file.js';
import { notifySystemdReady } from '../src-shared/systemd-notify.js';
import { recoverJournal } from './atomic-file.js';
import { DEFAULT_CONFIG_PATH, loadHelperConfig } from './config.js';
import { loadNative } from './api/native.js';
import { startHelperServer } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', default: DEFAULT_CONFIG_PATH } } });
  const config = await loadHelperConfig(values.config);
  if (process.getuid?.() !== 0)
    console.warn('hnet helper: not running as root; TUN and /etc/hosts changes will fail');
  loadNative();
  // A previous helper may have been killed mid-write; finish or discard what it left.
  await recoverJournal(config.hostsFile);
  await removeStaleTempFiles(config.hostsFile);
  const server = await startHelperServer(config);
  // Only now: the socket accepts callers with its final owner and mode, so hnetd, ordered after
  // this unit, finds the helper on its first try.
  notifySystemdReady((error) =>
    console.error(`hnet helper: could not tell systemd it is ready: ${error.message}`),
  );
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`hnet helper: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
