// `hnet-server base`: runs the base server until SIGINT or SIGTERM.
import { initCrypto } from '../../src-protocol/crypto.js';
import type { Subcommand } from '../command.js';
import { fitBaseToOpenFiles, openFileLimit } from '../open-file-limit.js';
import { BaseServer } from './base-server.js';
import { baseUsage, parseBaseOptions } from './config.js';

const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);

function hintFor(message: string): string {
  if (/EACCES/.test(message))
    return ' Ports below 1024 need CAP_NET_BIND_SERVICE: run it from the shipped systemd unit (hnet-base.service), or pick another port, e.g. --tcp 0.0.0.0:8443.';
  if (/EADDRINUSE/.test(message)) return ' Another process holds that port; stop it or pick another port.';
  return '';
}

export const baseCommand: Subcommand = {
  summary: 'run the base server (peer registration, NAT traversal, relay)',
  async run(argv) {
    const options = parseBaseOptions(argv);
    if (!options.ok) {
      console.error(options.error.message);
      return 2;
    }
    if (!options.value) {
      console.log(baseUsage);
      return 0;
    }
    await initCrypto();
    const fitted = fitBaseToOpenFiles(options.value, 0, openFileLimit());
    if (fitted.warning) log(`warning: ${fitted.warning}`);
    let server: BaseServer;
    try {
      server = await BaseServer.start(fitted.config, log);
    } catch (error) {
      const message = (error as Error).message;
      console.error(`${message}.${hintFor(message)}`);
      return 1;
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log(`${signal}: closing ${server.status().tcpConnections} connections`);
    await server.close();
    return 0;
  },
};
