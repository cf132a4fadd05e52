// `hnet wait …`: block until the daemon, the base or a peer is there, for scripts and tests.
import type { ControlClient } from '../../engine/client.js';
import { success, type Outcome } from '../../contract/errors.js';
import type { PathState, Status } from '../../contract/status.js';
import { EXIT_OK, print, report, seconds, type Command, type Values } from '../command.js';
import { connectWhenListening } from '../connect-when-listening.js';

const timeoutOption = { timeout: { type: 'string', short: 't' } } as const;
const timeoutOf = (values: Values): number => seconds(values, 'timeout', 30);

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

export const waitCommands: Command[] = [
  {
    name: 'wait daemon',
    args: '[--timeout s]',
    summary: 'wait until hnetd answers on its socket',
    options: timeoutOption,
    arity: [0, 0],
    async run({ values, socketPath }) {
      const limit = timeoutOf(values);
      const connected = await connectWhenListening(socketPath, { deadline: Date.now() + limit * 1000 });
      if (!connected.ok)
        return report({
          ...connected.error,
          message: `timed out after ${limit} s: ${connected.error.message}`,
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
    options: timeoutOption,
    arity: [0, 0],
    run: ({ values, socketPath }) =>
      waitFor(socketPath, timeoutOf(values), 'the base server', async () =>
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
    options: timeoutOption,
    arity: [1, 1],
    run: ({ positionals: [host = ''], values, socketPath }) =>
      waitFor(socketPath, timeoutOf(values), host, async (client) => {
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
];
