// `hnet up` and `hnet down`: Connect and Disconnect, the same call the window and the tray make.
import { jsonOption, print, printJson, request, type Command } from '../command.js';
import { formatBase } from '../format-status.js';

export const connectionCommands: Command[] = [
  {
    name: 'up',
    args: '[--json]',
    summary: 'connect again after "hnet down": hnet0, the base, peers and LAN beacons come back',
    options: jsonOption,
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      request(socketPath, 'connection.set', { connection: 'up' }, (status) =>
        values['json'] ? printJson(status) : print(`hnet is up; base ${formatBase(status.base)}`),
      ),
  },
  {
    name: 'down',
    args: '[--json]',
    summary: 'disconnect: no traffic, no base, no LAN beacons, hnet0 removed, until "hnet up"',
    details:
      'hnetd keeps running and answers hnet and the window; the choice outlives restarts of hnetd ' +
      'and of the machine.',
    options: jsonOption,
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      request(socketPath, 'connection.set', { connection: 'down' }, (status) =>
        values['json']
          ? printJson(status)
          : print(
              'hnet is down: hnet0 is gone and hnet talks to no one until "hnet up" (kept across restarts)',
            ),
      ),
  },
];
