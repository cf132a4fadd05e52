// From argv to the command to run, its options and its arguments, or to the sentence that says
// what is wrong with the command line (with the command's usage, never Node's parser text).
import { parseArgs } from 'node:util';
import type { Command, Options, Values } from './command.js';
import { plural } from './text.js';

export type CommandSpec = Omit<Command, 'run'>;

export type Parsed<C extends CommandSpec> =
  | { kind: 'run'; command: C; positionals: string[]; values: Values }
  /** Help asked for (or no command given): `text` goes to stdout, the exit code is `code`. */
  | { kind: 'help'; text: string; code: number }
  /** A wrong command line: `message` goes to stderr, `more` (if any) to stdout; exit code 2. */
  | { kind: 'wrong'; message: string; more?: string };

export function usageOf(command: CommandSpec): string {
  return `hnet ${command.name}${command.args ? ` ${command.args}` : ''}`;
}

function listing(commands: readonly CommandSpec[]): string[] {
  const width = Math.max(...commands.map((c) => usageOf(c).length));
  return commands.map((c) => `  ${usageOf(c).padEnd(width)}  ${c.summary}`);
}

export function overview(commands: readonly CommandSpec[], defaultSocket: string): string {
  return [
    'hnet — control the hnet daemon (hnetd) on this machine',
    '',
    ...listing(commands),
    '',
    'Every command accepts --help, and --socket <path> (default $HNET_CONTROL_SOCKET, the',
    `config file's controlSocket, or ${defaultSocket}). Reading works for every user;`,
    'changes need root or the user who runs hnetd.',
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  return [
    `usage: ${usageOf(command)}`,
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
  ].join('\n');
}

/** "wrong …; usage: hnet …": one sentence with the usage in it. */
export const withUsage = (problem: string, command: CommandSpec): string =>
  `${problem}; usage: ${usageOf(command)}`;

/** The command whose words start the argument list, preferring the longest ("wait peer" over "wait"). */
function findCommand<C extends CommandSpec>(words: string[], commands: readonly C[]): C | undefined {
  return [...commands]
    .sort((a, b) => b.name.length - a.name.length)
    .find((command) => command.name.split(' ').every((part, i) => words[i] === part));
}

/** The non-option words of the command line; values of options such as `--socket x` are skipped. */
function commandWords(argv: readonly string[], options: Options): string[] {
  const taking = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    taking.add(`--${name}`);
    if (option.short) taking.add(`-${option.short}`);
  }
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-')) words.push(arg);
    else if (taking.has(arg)) i++;
  }
  return words;
}

/** Node's parseArgs error, said about `command` in words a user of hnet reads. */
export function optionProblem(error: Error & { code?: string }, command: CommandSpec): string {
  const message = error.message;
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return withUsage(`"hnet ${command.name}" has no option ${option}`, command);
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return withUsage(
      /does not take an argument/.test(message) ? `${option} takes no value` : `${option} needs a value`,
      command,
    );
  return withUsage(message.replace(/\.$/, ''), command);
}

function arityProblem(command: CommandSpec, given: number): string {
  const [min, max] = command.arity;
  const wanted =
    max === 0
      ? 'no arguments'
      : min === max
        ? plural(min, 'argument', 'arguments')
        : `${min} to ${max} arguments`;
  return withUsage(`"hnet ${command.name}" takes ${wanted}, not ${given}`, command);
}

export function parseCommandLine<C extends CommandSpec>(
  argv: readonly string[],
  commands: readonly C[],
  common: Options,
  defaultSocket: string,
): Parsed<C> {
  const everyOption = Object.assign({}, common, ...commands.map((c) => c.options)) as Options;
  const words = commandWords(argv, everyOption);
  const helpAsked = argv.includes('--help') || argv.includes('-h');
  const command = findCommand(words, commands);
  if (!command) {
    if (words.length === 0 || helpAsked || words[0] === 'help') {
      const target = words[0] === 'help' ? findCommand(words.slice(1), commands) : undefined;
      return {
        kind: 'help',
        text: target ? commandHelp(target) : overview(commands, defaultSocket),
        code: words.length === 0 && !helpAsked ? 2 : 0,
      };
    }
    const group = commands.filter((c) => c.name.startsWith(`${words[0]} `));
    if (group.length > 0)
      return {
        kind: 'wrong',
        message: `"${words[0]}" needs one of: ${group.map((c) => c.name.split(' ')[1]).join(', ')}`,
        more: listing(group).join('\n'),
      };
    return { kind: 'wrong', message: `unknown command "${words.join(' ')}"; see "hnet --help"` };
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...common, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    return { kind: 'wrong', message: optionProblem(error as Error & { code?: string }, command) };
  }
  if (parsed.values['help']) return { kind: 'help', text: commandHelp(command), code: 0 };
  const positionals = parsed.positionals.slice(command.name.split(' ').length);
  const [min, max] = command.arity;
  if (positionals.length < min || positionals.length > max)
    return { kind: 'wrong', message: arityProblem(command, positionals.length) };
  return { kind: 'run', command, positionals, values: parsed.values };
}
