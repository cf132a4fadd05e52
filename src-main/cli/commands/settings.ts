// The whitelist and the host table: `hnet whitelist …`, `hnet hosts …`.
import { canonicalAddress } from '../../contract/names.js';
import { jsonOption, print, printJson, request, type Command } from '../command.js';
import { formatHosts, formatWhitelist } from '../format-status.js';
import { shortAddress } from '../text.js';

/** The address as the user will see it elsewhere: checked, then shortened. */
const shown = (address: string): string => shortAddress(canonicalAddress(address) ?? address);

export const settingsCommands: Command[] = [
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
        print(`added ${shown(address)} to the whitelist`),
      ),
  },
  {
    name: 'whitelist rm',
    args: '<address>',
    summary: 'stop a device from connecting',
    arity: [1, 1],
    run: ({ positionals: [address = ''], socketPath }) =>
      request(socketPath, 'whitelist.remove', { address }, () =>
        print(`removed ${shown(address)} from the whitelist`),
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
        print(`${hostname} is now ${shown(address)}`),
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
];
