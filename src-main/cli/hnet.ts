#!/usr/bin/env node
// `hnet`: the command line for a machine running hnetd. Every command except `genid`, `version`
// and `ui` (which reads the file hnetd keeps the UI's address in) talks to the daemon through the
// typed control client. Exit codes: 0 done, 1 failed, 2 the command line itself was wrong.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, serializeIdentity } from '../../src-protocol/identity.js';
import { loadConfig } from '../engine/config.js';
import { DEFAULT_CONTROL_SOCKET, ControlClient } from '../engine/control-client.js';
import { checkParams, type CallName, type ParamsOf, type ResultOf } from '../engine/control-protocol.js';
import type { SetupServerResult } from '../engine/engine.js';
import { success, type EngineError, type Outcome } from '../engine/errors.js';
import type { PathState, Status } from '../engine/status.js';
import { canonicalAddress } from '../engine/names.js';
import { HNET_VERSION } from '../engine/version.js';
import { connectWhenListening } from './connect-when-listening.js';
import { formatHosts, formatStatus, formatWhitelist } from './format-status.js';
import { uiUrlFile } from '../ui-server/ui-url.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Invocation {
  positionals: string[];
  values: Values;
  socketPath: string;
}

interface Command {
  /** Words that select it, e.g. "whitelist add". */
  name: string;
  args: string;
  summary: string;
  details?: string;
  options?: Options;
  /** How many positionals after the command words, [min, max]. */
  arity: [number, number];
  run(invocation: Invocation): Promise<number>;
}

class UsageError extends Error {}

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const complain = (text: string): void => void process.stderr.write(`hnet: ${text}\n`);

function report(error: EngineError): number {
  complain(error.message);
  return error.kind === 'BadParams' ? EXIT_USAGE : EXIT_FAILED;
}

/** Connects, makes one call and hands the answer to `show`. Arguments are checked before connecting. */
async function request<K extends CallName>(
  socketPath: string,
  name: K,
  params: ParamsOf<K>,
  show: (result: ResultOf<K>) => void,
): Promise<number> {
  const checked = checkParams(name, params);
  if (!checked.ok) return report({ kind: 'BadParams', message: checked.error });
  const connected = await ControlClient.connect(socketPath);
  if (!connected.ok) return report(connected.error);
  const client = connected.value;
  try {
    const answer = await client.call(name, params);
    if (!answer.ok) return report(answer.error);
    show(answer.value);
    return EXIT_OK;
  } finally {
    client.close();
  }
}

const canonical = (address: string): string => canonicalAddress(address) ?? address;
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function serverInUse(url: string, result: SetupServerResult): string {
  return [
    `now using ${result.name} (${url}): base servers ${result.baseServers.join(', ')}`,
    'join one of its networks with a code from its dashboard: hnet join <code>',
  ].join('\n');
}

function serverToConfirm(url: string, result: SetupServerResult): string {
  return [
    `${url} (${result.name}) signs its license with the key`,
    '',
    `    ${result.fingerprint}`,
    '',
    "Nothing was changed. Compare this fingerprint with the one the server's owner sees (hnet-server",
    'prints it as "license key" when it starts). Only if they match, use the server with:',
    '',
    `    hnet setup-server ${url} --fingerprint '${result.fingerprint}'`,
  ].join('\n');
}

const jsonOption: Options = { json: { type: 'boolean', short: 'j' } };
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

/**
 * Watches status until the check made by `prepare` finds what it wants, the daemon goes away, or
 * time runs out. The daemon may still be starting: connecting is retried until the deadline.
 */
async function waitFor(
  socketPath: string,
  timeoutSeconds: number,
  what: string,
  prepare: (client: ControlClient) => Promise<Outcome<(status: Status) => string | undefined>>,
): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const connected = await connectWhenListening(socketPath, { deadline });
  if (!connected.ok) return report(connected.error);
  const client = connected.value;
  const check = await prepare(client);
  if (!check.ok) {
    client.close();
    return report(check.error);
  }
  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (code: number, line?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      client.close();
      if (line !== undefined) print(line);
      resolve(code);
    };
    const timer = setTimeout(
      () =>
        finish(
          report({ kind: 'Timeout', message: `timed out after ${timeoutSeconds} s waiting for ${what}` }),
        ),
      Math.max(0, deadline - Date.now()),
    );
    client.onClose((error) => finish(report(error)));
    void client
      .subscribe(({ status }) => {
        const found = check.value(status);
        if (found !== undefined) finish(EXIT_OK, found);
      })
      .then((subscribed) => {
        if (!subscribed.ok) finish(report(subscribed.error));
      });
  });
}

const reachable: ReadonlySet<PathState> = new Set(['tunnelled', 'probing', 'direct', 'degraded']);

function parseTimeout(values: Values): number {
  const raw = values['timeout'];
  if (raw === undefined) return 30;
  const seconds = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds (got "${String(raw)}")`);
  return seconds;
}

const commands: Command[] = [
  {
    name: 'status',
    args: '[--json] [--watch]',
    summary: 'show this device, the base connection, peers and their paths',
    details: '--watch keeps printing as things change (Ctrl-C to stop); with --json, one status per line.',
    options: { ...jsonOption, watch: { type: 'boolean', short: 'w' } },
    arity: [0, 0],
    async run({ values, socketPath }) {
      if (!values['watch'])
        return request(socketPath, 'status', {}, (status) =>
          values['json'] ? printJson(status) : print(formatStatus(status)),
        );
      const connected = await ControlClient.connect(socketPath);
      if (!connected.ok) return report(connected.error);
      const client = connected.value;
      const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
      return new Promise<number>((resolve) => {
        const stop = () => {
          client.close();
          resolve(EXIT_OK);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        client.onClose((error) => resolve(report(error)));
        void client
          .subscribe(({ status }) =>
            values['json'] ? print(JSON.stringify(status)) : print(`${clear}${formatStatus(status)}\n`),
          )
          .then((subscribed) => {
            if (!subscribed.ok) resolve(report(subscribed.error));
          });
      });
    },
  },
  {
    name: 'ip',
    args: '[host]',
    summary: "print this device's address, or the address of a host or peer",
    arity: [0, 1],
    async run({ positionals, socketPath }) {
      const host = positionals[0];
      if (host === undefined) return request(socketPath, 'status', {}, (status) => print(status.address));
      return request(socketPath, 'resolve', { host }, (entry) => print(entry.address));
    },
  },
  {
    name: 'whitelist ls',
    args: '[--json]',
    summary: 'list the addresses allowed to connect',
    options: jsonOption,
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      request(socketPath, 'status', {}, (status) =>
        values['json']
          ? printJson(status.whitelist)
          : print(formatWhitelist(status.whitelist, status.hosts).join('\n')),
      ),
  },
  {
    name: 'whitelist add',
    args: '<address>',
    summary: 'allow a device to connect',
    arity: [1, 1],
    run: ({ positionals: [address = ''], socketPath }) =>
      request(socketPath, 'whitelist.add', { address }, () =>
        print(`added ${canonical(address)} to the whitelist`),
      ),
  },
  {
    name: 'whitelist rm',
    args: '<address>',
    summary: 'stop a device from connecting',
    arity: [1, 1],
    run: ({ positionals: [address = ''], socketPath }) =>
      request(socketPath, 'whitelist.remove', { address }, () =>
        print(`removed ${canonical(address)} from the whitelist`),
      ),
  },
  {
    name: 'whitelist enable',
    args: '',
    summary: 'accept only whitelisted devices (the default)',
    arity: [0, 0],
    run: ({ socketPath }) =>
      request(socketPath, 'whitelist.enable', {}, () =>
        print('whitelist on: only listed devices may connect'),
      ),
  },
  {
    name: 'whitelist disable',
    args: '',
    summary: 'accept any device that knows this address',
    arity: [0, 0],
    run: ({ socketPath }) =>
      request(socketPath, 'whitelist.disable', {}, () => print('whitelist off: any device may connect')),
  },
  {
    name: 'hosts ls',
    args: '[--json]',
    summary: 'list the host table (names written to /etc/hosts)',
    options: jsonOption,
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      request(socketPath, 'hosts.list', {}, (hosts) =>
        values['json'] ? printJson(hosts) : print(formatHosts(hosts).join('\n')),
      ),
  },
  {
    name: 'hosts add',
    args: '<hostname> <address>',
    summary: 'give an address a name (replaces an existing entry of that name)',
    arity: [2, 2],
    run: ({ positionals: [hostname = '', address = ''], socketPath }) =>
      request(socketPath, 'hosts.add', { hostname, address }, () =>
        print(`${hostname} is now ${canonical(address)}`),
      ),
  },
  {
    name: 'hosts rm',
    args: '<hostname>',
    summary: 'remove a name from the host table',
    arity: [1, 1],
    run: ({ positionals: [hostname = ''], socketPath }) =>
      request(socketPath, 'hosts.remove', { hostname }, () =>
        print(`removed ${hostname} from the host table`),
      ),
  },
  {
    name: 'setup-server',
    args: '<url> [--fingerprint <key fingerprint>]',
    summary: 'use your own hnet server (base servers and license from <url>)',
    details:
      "Without --fingerprint nothing changes: hnet shows the key that signs the server's license. " +
      "Compare it with what the server's owner sees (hnet-server prints it when it starts), then " +
      'run the command again with --fingerprint.',
    options: { fingerprint: { type: 'string', short: 'f' } },
    arity: [1, 1],
    async run({ positionals: [url = ''], values, socketPath }) {
      const fingerprint = values['fingerprint'];
      const params = typeof fingerprint === 'string' ? { url, fingerprint } : { url };
      let switched = false;
      const code = await request(socketPath, 'setupServer', params, (result) => {
        switched = result.switched;
        print(switched ? serverInUse(url, result) : serverToConfirm(url, result));
      });
      return code === EXIT_OK && !switched ? EXIT_FAILED : code;
    },
  },
  {
    name: 'join',
    args: '<code> [hostname]',
    summary: "join a network with a join code from its dashboard (hostname defaults to this machine's)",
    arity: [1, 2],
    run: ({ positionals: [code = '', hostname], socketPath }) =>
      request(socketPath, 'join', hostname === undefined ? { code } : { code, hostname }, (result) =>
        print(`joined as ${result.hostname}; settings come from ${result.websetup}`),
      ),
  },
  {
    name: 'leave',
    args: '[websetup address]',
    summary: 'leave the network joined with "hnet join": forget its websetup and what it added here',
    details:
      'Whitelist entries and names that websetup added are removed; the ones you added yourself stay. ' +
      'The base servers stay as they are.',
    arity: [0, 1],
    run: ({ positionals: [websetup], socketPath }) =>
      request(socketPath, 'network.leave', websetup === undefined ? {} : { websetup }, (result) => {
        const { addresses, hostnames } = result.removed;
        print(
          `left the network managed by ${result.websetup}; removed ${plural(addresses.length, 'whitelist entry', 'whitelist entries')} and ${plural(hostnames.length, 'name', 'names')} it had added (yours stay)`,
        );
      }),
  },
  {
    name: 'genid',
    args: '',
    summary: 'print a new identity line (address, public key, secret key); needs no daemon',
    arity: [0, 0],
    async run() {
      await initCrypto();
      process.stdout.write(serializeIdentity(generateIdentity()));
      return EXIT_OK;
    },
  },
  {
    name: 'wait daemon',
    args: '[--timeout s]',
    summary: 'wait until hnetd answers on its socket',
    options: { timeout: { type: 'string', short: 't' } },
    arity: [0, 0],
    async run({ values, socketPath }) {
      const seconds = parseTimeout(values);
      const connected = await connectWhenListening(socketPath, { deadline: Date.now() + seconds * 1000 });
      if (!connected.ok)
        return report({
          ...connected.error,
          message: `timed out after ${seconds} s: ${connected.error.message}`,
        });
      connected.value.close();
      print('hnetd is running');
      return EXIT_OK;
    },
  },
  {
    name: 'wait base',
    args: '[--timeout s]',
    summary: 'wait until hnetd is connected to a base server',
    options: { timeout: { type: 'string', short: 't' } },
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      waitFor(socketPath, parseTimeout(values), 'the base server', async () =>
        success((status: Status) =>
          status.base.state === 'connected'
            ? `connected to ${status.base.server ?? 'the base'} over ${status.base.transport?.toUpperCase() ?? '?'}`
            : undefined,
        ),
      ),
  },
  {
    name: 'wait peer',
    args: '<address|hostname> [--timeout s]',
    summary: 'wait until traffic can flow to a peer (through the base or directly)',
    options: { timeout: { type: 'string', short: 't' } },
    arity: [1, 1],
    run: ({ positionals: [host = ''], values, socketPath }) =>
      waitFor(socketPath, parseTimeout(values), host, async (client) => {
        const resolved = await client.call('resolve', { host });
        if (!resolved.ok) return resolved;
        const { address } = resolved.value;
        return success((status: Status) => {
          const peer = status.peers.find((p) => p.address === address);
          if (!peer || !reachable.has(peer.path)) return undefined;
          return `${host} is reachable: ${peer.path}${peer.endpoint ? ` ${peer.endpoint}` : ''}`;
        });
      }),
  },
  {
    name: 'ui',
    args: '',
    summary: 'print the address of the browser UI that "hnetd --ui" serves, with its one-time token',
    details:
      'hnetd keeps the address beside its control socket, readable only by the user it runs as, ' +
      'and never writes the token to its log. Run this as that user (or root).',
    arity: [0, 0],
    async run({ socketPath }) {
      const file = uiUrlFile(socketPath);
      try {
        print((await readFile(file, 'utf8')).trim());
        return EXIT_OK;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        complain(
          code === 'ENOENT'
            ? `no browser UI is running for ${socketPath}: start hnetd with --ui (or run npm start)`
            : code === 'EACCES'
              ? `only the user hnetd runs as may read ${file}: run "sudo hnet ui"`
              : `cannot read ${file}: ${(error as Error).message}`,
        );
        return EXIT_FAILED;
      }
    },
  },
  {
    name: 'version',
    args: '',
    summary: 'print the version of hnet and of the running hnetd',
    arity: [0, 0],
    async run({ socketPath }) {
      print(`hnet ${HNET_VERSION}`);
      const connected = await ControlClient.connect(socketPath);
      if (!connected.ok) {
        print('hnetd not running');
        return EXIT_OK;
      }
      const status = await connected.value.call('status', {});
      connected.value.close();
      print(status.ok ? `hnetd ${status.value.version} (${socketPath})` : `hnetd: ${status.error.message}`);
      return EXIT_OK;
    },
  },
];

const commonOptions: Options = {
  help: { type: 'boolean', short: 'h' },
  socket: { type: 'string', short: 's' },
};

function usageOf(command: Command): string {
  return `hnet ${command.name}${command.args ? ` ${command.args}` : ''}`;
}

function overview(): string {
  const width = Math.max(...commands.map((c) => usageOf(c).length));
  return [
    'hnet — control the hnet daemon (hnetd) on this machine',
    '',
    ...commands.map((c) => `  ${usageOf(c).padEnd(width)}  ${c.summary}`),
    '',
    'Every command accepts --help, and --socket <path> (default $HNET_CONTROL_SOCKET, the',
    `config file's controlSocket, or ${DEFAULT_CONTROL_SOCKET}). Reading works for every user;`,
    'changes need root or the user who runs hnetd.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `usage: ${usageOf(command)}`,
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
  ].join('\n');
}

/** The command whose words start the argument list, preferring the longest ("wait peer" over "wait"). */
function findCommand(words: string[]): { command: Command; rest: string[] } | undefined {
  for (const command of [...commands].sort((a, b) => b.name.length - a.name.length)) {
    const parts = command.name.split(' ');
    if (parts.every((part, i) => words[i] === part)) return { command, rest: words.slice(parts.length) };
  }
  return undefined;
}

async function socketPathFrom(values: Values): Promise<string> {
  if (typeof values['socket'] === 'string') return values['socket'];
  // The daemon's own settings say where it listens; a broken config file is hnetd's to report.
  const config = await loadConfig({ env: process.env });
  return config.ok
    ? config.value.controlSocket
    : (process.env['HNET_CONTROL_SOCKET'] ?? DEFAULT_CONTROL_SOCKET);
}

/** The non-option words of the command line; values of options such as `--socket x` are skipped. */
function commandWords(argv: string[]): string[] {
  const taking = new Set<string>();
  for (const [name, option] of Object.entries({
    ...commonOptions,
    ...Object.assign({}, ...commands.map((c) => c.options)),
  } as Options)) {
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

export async function main(argv: string[]): Promise<number> {
  const words = commandWords(argv);
  const found = findCommand(words);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${words[0] ?? ''} `));
    if (words.length === 0 || argv.includes('--help') || argv.includes('-h') || words[0] === 'help') {
      const target = words[0] === 'help' ? findCommand(words.slice(1)) : undefined;
      print(target ? commandHelp(target.command) : overview());
      return words.length === 0 && !argv.includes('--help') && !argv.includes('-h') ? EXIT_USAGE : EXIT_OK;
    }
    if (group.length > 0) {
      complain(`"${words[0]}" needs one of: ${group.map((c) => c.name.split(' ')[1]).join(', ')}`);
      const width = Math.max(...group.map((c) => usageOf(c).length));
      print(group.map((c) => `  ${usageOf(c).padEnd(width)}  ${c.summary}`).join('\n'));
    } else complain(`unknown command "${words.join(' ')}"; see "hnet --help"`);
    return EXIT_USAGE;
  }
  const { command } = found;
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...commonOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    const values = parsed.values as Values;
    if (values['help']) {
      print(commandHelp(command));
      return EXIT_OK;
    }
    const positionals = parsed.positionals.slice(command.name.split(' ').length);
    const [min, max] = command.arity;
    if (positionals.length < min || positionals.length > max)
      throw new UsageError(`wrong number of arguments\nusage: ${usageOf(command)}`);
    return await command.run({ positionals, values, socketPath: await socketPathFrom(values) });
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      complain(
        `${(error as Error).message}${error instanceof UsageError ? '' : `\nusage: ${usageOf(command)}`}`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
