// Commands about this program and this machine: `hnet genid`, `hnet ui`, `hnet version`.
import { readFile } from 'node:fs/promises';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, serializeIdentity } from '../../../src-protocol/identity.js';
import { ControlClient, HNET_VERSION } from '../../engine/client.js';
import { uiUrlFile } from '../../ui-server/ui-url.js';
import { complain, EXIT_FAILED, EXIT_OK, print, type Command } from '../command.js';

export const localCommands: Command[] = [
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
    name: 'ui',
    args: '',
    summary:
      'print the address of the browser UI that "hnetd --ui" serves, token included (it lasts until the machine restarts)',
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
