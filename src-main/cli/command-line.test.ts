// From argv to a command: wrong command lines are answered with a sentence and the usage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, type CommandSpec } from './command-line.js';
import type { Options } from './command.js';

const commands: CommandSpec[] = [
  {
    name: 'status',
    args: '[--json] [--watch]',
    summary: 'show status',
    options: { json: { type: 'boolean' }, watch: { type: 'boolean', short: 'w' } },
    arity: [0, 0],
  },
  {
    name: 'wait peer',
    args: '<address|hostname> [--timeout s]',
    summary: 'wait for a peer',
    options: { timeout: { type: 'string', short: 't' } },
    arity: [1, 1],
  },
  { name: 'wait base', args: '', summary: 'wait for the base', arity: [0, 0] },
  { name: 'hosts add', args: '<hostname> <address>', summary: 'add a name', arity: [2, 2] },
];
const common: Options = { help: { type: 'boolean', short: 'h' }, socket: { type: 'string', short: 's' } };
const parse = (...argv: string[]) => parseCommandLine(argv, commands, common, '/run/hnet/control.sock');

test('a command with its options and arguments, options anywhere', () => {
  const parsed = parse('wait', '--socket', '/tmp/s', 'peer', 'bravo', '-t', '3');
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  assert.equal(parsed.command.name, 'wait peer');
  assert.deepEqual(parsed.positionals, ['bravo']);
  assert.equal(parsed.values['timeout'], '3');
  assert.equal(parsed.values['socket'], '/tmp/s');
});

test('an unknown option is answered with the command and its usage, not the parser’s text', () => {
  assert.deepEqual(parse('status', '--frobnicate'), {
    kind: 'wrong',
    message: '"hnet status" has no option --frobnicate; usage: hnet status [--json] [--watch]',
  });
  assert.deepEqual(parse('status', '-x'), {
    kind: 'wrong',
    message: '"hnet status" has no option -x; usage: hnet status [--json] [--watch]',
  });
});

test('an option without its value, or with one it does not take, says which', () => {
  assert.deepEqual(parse('wait', 'peer', 'bravo', '--timeout'), {
    kind: 'wrong',
    message: '--timeout needs a value; usage: hnet wait peer <address|hostname> [--timeout s]',
  });
  assert.deepEqual(parse('status', '--json=yes'), {
    kind: 'wrong',
    message: '--json takes no value; usage: hnet status [--json] [--watch]',
  });
});

test('the wrong number of arguments says how many the command takes', () => {
  assert.deepEqual(parse('hosts', 'add', 'only-a-name'), {
    kind: 'wrong',
    message: '"hnet hosts add" takes 2 arguments, not 1; usage: hnet hosts add <hostname> <address>',
  });
  assert.deepEqual(parse('status', 'extra'), {
    kind: 'wrong',
    message: '"hnet status" takes no arguments, not 1; usage: hnet status [--json] [--watch]',
  });
});

test('a group word alone lists its commands; an unknown word points at --help', () => {
  const group = parse('wait');
  assert.equal(group.kind, 'wrong');
  assert.match(group.kind === 'wrong' ? group.message : '', /^"wait" needs one of: peer, base$/);
  assert.deepEqual(parse('frobnicate'), {
    kind: 'wrong',
    message: 'unknown command "frobnicate"; see "hnet --help"',
  });
});

test('help: the overview, or one command’s usage', () => {
  const overview = parse();
  assert.equal(overview.kind === 'help' && overview.code, 2, 'no command at all is a usage error');
  const help = parse('help', 'wait', 'peer');
  assert.equal(help.kind, 'help');
  assert.match(help.kind === 'help' ? help.text : '', /^usage: hnet wait peer <address\|hostname>/);
  const flag = parse('status', '--help');
  assert.equal(flag.kind === 'help' && flag.code, 0);
});
