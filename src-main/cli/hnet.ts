#!/usr/bin/env node
// `hnet`: the command line for a machine running hnetd. Every command except `genid`, `version`
// and `ui` (which reads the file hnetd keeps the UI's address in) talks to the daemon through the
// typed control client. Each command lives in commands/; this file picks one and runs it.
import { loadConfig, DEFAULT_CONTROL_SOCKET } from '../engine/client.js';
import { parseCommandLine, withUsage } from './command-line.js';
import {
  complain,
  EXIT_USAGE,
  print,
  UsageError,
  type Command,
  type Options,
  type Values,
} from './command.js';
import { bugreportCommand } from './commands/bugreport.js';
import { connectionCommands } from './commands/connection.js';
import { diagnosticCommands } from './commands/diagnostics.js';
import { localCommands } from './commands/local.js';
import { networkCommands } from './commands/network.js';
import { settingsCommands } from './commands/settings.js';
import { statusCommands } from './commands/status.js';
import { waitCommands } from './commands/wait.js';

const commands: Command[] = [
  ...statusCommands,
  ...connectionCommands,
  ...diagnosticCommands,
  ...settingsCommands,
  ...networkCommands,
  ...waitCommands,
  bugreportCommand,
  ...localCommands,
];

const commonOptions: Options = {
  help: { type: 'boolean', short: 'h' },
  socket: { type: 'string', short: 's' },
};

async function socketPathFrom(values: Values): Promise<string> {
  if (typeof values['socket'] === 'string') return values['socket'];
  // The daemon's own settings say where it listens; a broken config file is hnetd's to report.
  const config = await loadConfig({ env: process.env });
  return config.ok
    ? config.value.controlSocket
    : (process.env['HNET_CONTROL_SOCKET'] ?? DEFAULT_CONTROL_SOCKET);
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, commands, commonOptions, DEFAULT_CONTROL_SOCKET);
  if (parsed.kind === 'help') {
    print(parsed.text);
    return parsed.code;
  }
  if (parsed.kind === 'wrong') {
    complain(parsed.message);
    if (parsed.more) print(parsed.more);
    return EXIT_USAGE;
  }
  const { command, positionals, values } = parsed;
  try {
    return await command.run({ positionals, values, socketPath: await socketPathFrom(values) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    complain(withUsage(error.message, command));
    return EXIT_USAGE;
  }
}

process.exitCode = await main(process.argv.slice(2));
