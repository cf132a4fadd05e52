// `hnet status` (once, or --watch) and `hnet ip`.
import { ControlClient } from '../../engine/client.js';
import type { Status } from '../../contract/status.js';
import {
  EXIT_OK,
  jsonOption,
  print,
  printJson,
  report,
  request,
  type Command,
  type Values,
} from '../command.js';
import { formatStatus } from '../format-status.js';
import { changedLines, statusFacts, type Facts } from '../watch-lines.js';

/** Where watched statuses go; `end` runs once when watching stops. */
interface Display {
  show(status: Status): void;
  end(): void;
}

/** One JSON status per line, every update (counters included): for scripts. */
const jsonLines = (): Display => ({ show: (status) => print(JSON.stringify(status)), end: () => undefined });

/** Into a pipe or file: a timestamped line per change a user would notice, nothing else. */
function changeLines(): Display {
  let facts: Facts | undefined;
  return {
    show(status) {
      const next = statusFacts(status);
      // One write per change: a reader of the pipe gets a change's lines together, never half of them.
      const lines = changedLines(facts, next, new Date());
      if (lines.length > 0) print(lines.join('\n'));
      facts = next;
    },
    end: () => undefined,
  };
}

// The terminal's alternate screen (restored on exit, as `watch` and `top` do), cursor hidden.
const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
/** Ages ("3 s ago") move on their own: redrawn this often even when nothing else changes. */
const REDRAW_MS = 1_000;

/** On a terminal: the table redrawn in place, each line overwritten rather than the screen wiped. */
function redrawInPlace(): Display {
  let last: Status | undefined;
  const draw = () => {
    if (!last) return;
    const lines = formatStatus(last).split('\n');
    process.stdout.write(`${HOME}${lines.map((line) => line + CLEAR_LINE_END).join('\n')}\n${CLEAR_BELOW}`);
  };
  process.stdout.write(ENTER_SCREEN);
  const timer = setInterval(draw, REDRAW_MS);
  return {
    show(status) {
      last = status;
      draw();
    },
    end() {
      clearInterval(timer);
      process.stdout.write(LEAVE_SCREEN);
    },
  };
}

async function watch(socketPath: string, values: Values): Promise<number> {
  const connected = await ControlClient.connect(socketPath);
  if (!connected.ok) return report(connected.error);
  const client = connected.value;
  const display = values['json'] ? jsonLines() : process.stdout.isTTY ? redrawInPlace() : changeLines();
  return new Promise<number>((resolve) => {
    let stopped = false;
    const stop = (code: () => number) => {
      if (stopped) return;
      stopped = true;
      display.end();
      client.close();
      resolve(code());
    };
    process.once('SIGINT', () => stop(() => EXIT_OK));
    process.once('SIGTERM', () => stop(() => EXIT_OK));
    client.onClose((error) => stop(() => report(error)));
    void client
      .subscribe(({ status }) => display.show(status))
      .then((subscribed) => {
        if (!subscribed.ok) stop(() => report(subscribed.error));
      });
  });
}

export const statusCommands: Command[] = [
  {
    name: 'status',
    args: '[--json] [--watch]',
    summary: 'show this device, the base connection, peers and their paths',
    details:
      '--watch keeps showing it (Ctrl-C to stop): on a terminal the table is redrawn in place; into a ' +
      'pipe or file, one timestamped line per change a user would notice. With --json, every status, ' +
      'one per line.',
    options: { ...jsonOption, watch: { type: 'boolean', short: 'w' } },
    arity: [0, 0],
    run({ values, socketPath }) {
      if (values['watch']) return watch(socketPath, values);
      return request(socketPath, 'status', {}, (status) =>
        values['json'] ? printJson(status) : print(formatStatus(status)),
      );
    },
  },
  {
    name: 'ip',
    args: '[host]',
    summary: "print this device's address, or the address of a host or peer (in full, for scripts)",
    arity: [0, 1],
    async run({ positionals, socketPath }) {
      const host = positionals[0];
      if (host === undefined) return request(socketPath, 'status', {}, (status) => print(status.address));
      return request(socketPath, 'resolve', { host }, (entry) => print(entry.address));
    },
  },
];
