// Which server and network this device belongs to: `hnet setup-server`, `hnet join`, `hnet leave`.
import type { JoinResult, SetupServerResult } from '../../contract/control-calls.js';
import { EXIT_FAILED, EXIT_OK, print, request, type Command } from '../command.js';
import { whyRenamed } from '../../contract/names.js';
import { plural, shortAddress } from '../text.js';

function serverInUse(result: SetupServerResult): string {
  return [
    `now using ${result.name} (${result.url}): base servers ${result.baseServers.join(', ')}`,
    'join one of its networks with a code from its dashboard: hnet join <code>',
  ].join('\n');
}

/** The address as typed, and the URL it was found at when that says more (a port hnet assumed). */
function readAs(typed: string, result: SetupServerResult): string {
  if (typed.trim().replace(/\/+$/, '').toLowerCase() === result.url) return result.url;
  const { port, protocol } = new URL(result.url);
  return `${typed.trim()} (found at ${result.url}${port ? '' : `, port ${protocol === 'https:' ? 443 : 80}`})`;
}

function serverToConfirm(typed: string, result: SetupServerResult): string {
  return [
    `${readAs(typed, result)} is ${result.name}; it signs its license with the key`,
    '',
    `    ${result.fingerprint}`,
    '',
    "Nothing was changed. Compare this fingerprint with the one the server's owner sees (hnet-server",
    'prints it as "license key" when it starts). Only if they match, use the server with:',
    '',
    `    hnet setup-server ${result.url} --fingerprint '${result.fingerprint}'`,
  ].join('\n');
}

/** Why websetup named the device `given` rather than `requested`, if it did. */
/** The join's answer: the name the device got (and why, if not the one asked for) and its networks. */
export function joinedText(result: JoinResult): string {
  const networks = result.networks.map((name) => `"${name}"`).join(', ');
  const why = whyRenamed(result.requested, result.hostname);
  return `joined as ${result.hostname}${why ? ` (${why})` : ''}${networks ? ` in ${networks}` : ''}; settings come from ${shortAddress(result.websetup)}`;
}

export const networkCommands: Command[] = [
  {
    name: 'setup-server',
    args: '<address> [--fingerprint <key fingerprint>]',
    summary: 'use your own hnet server (base servers and license from its dashboard at <address>)',
    details:
      "The address is what the server's owner gave you: 10.77.0.1 or a name (tried as http on port 80, " +
      'then 5580, then https), host:port, or an http:// or https:// URL. ' +
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
        print(switched ? serverInUse(result) : serverToConfirm(url, result));
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
        print(joinedText(result)),
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
          `left the network managed by ${shortAddress(result.websetup)}; removed ${plural(addresses.length, 'whitelist entry', 'whitelist entries')} and ${plural(hostnames.length, 'name', 'names')} it had added (yours stay)`,
        );
      }),
  },
];
