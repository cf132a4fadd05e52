#!/usr/bin/env node
// `hnet-server <subcommand> [options]`: the server stack's one entry point. Without a command (or
// with only options) it runs the whole stack.
import { baseCommand } from './base/command.js';
import type { Subcommand } from './command.js';
import { dashboardCommand, websetupCommand, wholeStackCommand } from './stack-command.js';

const subcommands: Record<string, Subcommand> = {
  base: baseCommand,
  dashboard: dashboardCommand,
  websetup: websetupCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(subcommands).map((name) => name.length));
  const lines = Object.entries(subcommands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `Usage: hnet-server [command] [options]\n\nWithout a command: ${wholeStackCommand.summary}; "hnet-server --help" lists its options.\n\nCommands:\n${lines.join('\n')}\n\nRun "hnet-server <command> --help" for a command's options.`;
}

const argv = process.argv.slice(2);
const [name, ...rest] = argv;
if (name === 'help' || name === '-h') {
  console.log(usage());
} else if (name === undefined || name.startsWith('-')) {
  if (name === '--help') console.log(`${usage()}\n`);
  process.exitCode = await wholeStackCommand.run(argv);
} else {
  const command = subcommands[name];
  if (command) process.exitCode = await command.run(rest);
  else {
    console.error(`hnet-server has no command "${name}".\n\n${usage()}`);
    process.exitCode = 2;
  }
}
