// `hnet-server` (the whole stack), `hnet-server dashboard` and `hnet-server websetup`: run until
// SIGINT or SIGTERM.
import { createLogger } from '../src-main/engine/client.js';
import type { Subcommand } from './command.js';
import { ServerStack } from './server-stack.js';
import { parseStackOptions, stackUsage, type StackPart } from './stack-config.js';

function hintFor(message: string): string {
  if (/EACCES/.test(message))
    return ' Ports below 1024 need root or CAP_NET_BIND_SERVICE; or pick others, e.g. --http 0.0.0.0:8080 --tcp 0.0.0.0:8443.';
  if (/EADDRINUSE/.test(message)) return ' Another process holds that port; stop it or pick another port.';
  return '';
}

function stackCommand(command: string, parts: StackPart[], summary: string): Subcommand {
  const chosen = new Set(parts);
  return {
    summary,
    async run(argv) {
      const options = parseStackOptions(argv, chosen, command);
      if (!options.ok) {
        console.error(options.message);
        return 2;
      }
      if (!options.value) {
        console.log(stackUsage(command, chosen));
        return 0;
      }
      const log = createLogger('info');
      let stack: ServerStack;
      try {
        stack = await ServerStack.start(options.value, log);
      } catch (error) {
        const message = (error as Error).message;
        console.error(`${message}.${hintFor(message)}`.replace(/\.\.$/, '.'));
        return 1;
      }
      const ready: Record<string, string | number> = { stateDir: options.value.stateDir };
      if (stack.dashboard) ready.dashboard = options.value.dashboardUrl;
      if (stack.fingerprint) ready.fingerprint = stack.fingerprint;
      if (stack.websetup) ready.websetup = stack.websetup.address;
      // Printed before the ready line, so whoever waits for that one has this too (local-server.ts).
      if (stack.setupUrl) {
        log.info('no-account-yet', { setupUrl: stack.setupUrl });
        console.log(
          `hnet-server setup: no account yet; create the first one at ${stack.setupUrl} (a one-time link: only it can create that account)`,
        );
      }
      log.info('ready', ready);
      // One plain line on stdout for whoever started it: where to go and which key to compare.
      const parts = [
        stack.dashboard && `dashboard ${options.value.dashboardUrl}`,
        stack.fingerprint && `license key ${stack.fingerprint}`,
        stack.websetup && `websetup ${stack.websetup.address}`,
      ];
      console.log(`hnet-server ready: ${parts.filter(Boolean).join(', ') || 'running'}`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      log.info('stopping', { signal });
      await stack.close();
      return 0;
    },
  };
}

export const wholeStackCommand = stackCommand(
  'hnet-server',
  ['base', 'dashboard', 'websetup'],
  'run base server, dashboard and websetup in one process',
);
export const dashboardCommand = stackCommand(
  'hnet-server dashboard',
  ['dashboard'],
  'run the dashboard alone (web UI, REST API, license.json)',
);
export const websetupCommand = stackCommand(
  'hnet-server websetup',
  ['websetup'],
  'run the websetup node alone (joins devices, pushes whitelists and host names)',
);
