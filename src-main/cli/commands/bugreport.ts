// `hnet bugreport`: one file to attach to a bug report, readable only by its owner (0600), with
// what hnetd says now (status, netcheck), its settings and its recent log, and no secrets: every
// part goes through redact.ts, whatever it is expected to hold.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { arch, hostname, release, type } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig, ControlClient, HNET_VERSION } from '../../engine/client.js';
import type { ParamsOf, ResultOf } from '../../contract/control-calls.js';
import { errorText } from '../../contract/errors.js';
import { complain, EXIT_FAILED, EXIT_OK, jsonOption, print, printJson, type Command } from '../command.js';
import { formatNetcheck } from '../format-diagnostics.js';
import { formatStatus } from '../format-status.js';
import { redactJson, redactText } from '../redact.js';

const LOG_LINES = 500;
const JOURNAL_WAIT_MS = 10_000;
const REPORT_MODE = 0o600;

/** An answer from hnetd, or why there is none. */
type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

interface Report {
  generated: string;
  hnet: string;
  system: string;
  status: Answer<ResultOf<'status'>>;
  netcheck: Answer<ResultOf<'netcheck'>>;
  settings: Answer<unknown> & { file: string };
  log: { source: string; text: string };
}

async function ask<K extends 'status' | 'netcheck'>(
  socketPath: string,
  name: K,
): Promise<Answer<ResultOf<K>>> {
  const connected = await ControlClient.connect(socketPath);
  if (!connected.ok) return { ok: false, error: connected.error.message };
  try {
    const answer = await connected.value.call(name, {} as ParamsOf<K>);
    return answer.ok ? answer : { ok: false, error: answer.error.message };
  } finally {
    connected.value.close();
  }
}

/** The journal's last lines for hnetd where systemd keeps it; else where the log goes instead. */
function recentLog(): Promise<Report['log']> {
  const command = ['journalctl', '-u', 'hnetd', '-n', String(LOG_LINES), '--no-pager', '-o', 'short-iso'];
  return new Promise((done) =>
    execFile(
      command[0]!,
      command.slice(1),
      { timeout: JOURNAL_WAIT_MS, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const empty = stdout.trim() === '' || /^-- No entries --$/m.test(stdout);
        if (!error && !empty) return done({ source: command.join(' '), text: stdout });
        const why = error
          ? (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'journalctl is not installed'
            : (stderr.trim() || errorText(error)).split('\n')[0]!
          : 'the journal has no entries for hnetd';
        done({
          source: 'none',
          text:
            `No log from journald (${why}). hnetd writes its log to stderr: under systemd that is ` +
            '"journalctl -u hnetd" (run this as root or a member of systemd-journal to include it); ' +
            'started by hand, it went to that terminal; the desktop app keeps its engine inside the app.',
        });
      },
    ),
  );
}

async function gather(socketPath: string): Promise<Report> {
  const file = process.env['HNET_CONFIG'] ?? DEFAULT_CONFIG_FILE;
  const [status, netcheck, settings, log] = await Promise.all([
    ask(socketPath, 'status'),
    ask(socketPath, 'netcheck'),
    loadConfig({ env: process.env }),
    recentLog(),
  ]);
  return {
    generated: new Date().toISOString(),
    hnet: HNET_VERSION,
    system: `${type()} ${release()} ${arch()}, node ${process.version}`,
    status,
    netcheck,
    settings: settings.ok
      ? { ok: true, value: settings.value, file }
      : { ok: false, error: settings.error.message, file },
    log,
  };
}

const section = (title: string, body: string): string => `== ${title} ==\n${body.trimEnd()}\n`;

function asText(report: Report): string {
  const answer = <T>(value: Answer<T>, show: (value: T) => string) =>
    value.ok ? show(value.value) : `hnetd did not answer: ${value.error}`;
  return [
    `hnet bug report, ${report.generated}\nhnet ${report.hnet} on ${report.system}\n`,
    section(
      'status',
      answer(report.status, (status) => formatStatus(status)),
    ),
    section('netcheck', answer(report.netcheck, formatNetcheck)),
    section(
      'status as JSON',
      answer(report.status, (status) => JSON.stringify(status, null, 2)),
    ),
    section(
      `settings (${report.settings.file} and the environment)`,
      answer(report.settings, (s) => JSON.stringify(s, null, 2)),
    ),
    section(`log (${report.log.source === 'none' ? 'not available' : report.log.source})`, report.log.text),
  ].join('\n');
}

/** Creates `path` for the owner only; never replaces an existing file. */
async function writeReport(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', REPORT_MODE);
  try {
    // The mode given to open() passes through the umask; the report must not be wider than 0600.
    await handle.chmod(REPORT_MODE);
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

export const bugreportCommand: Command = {
  name: 'bugreport',
  args: '[--output file] [--json]',
  summary: 'write one file for a bug report: status, netcheck, settings and recent log, secrets removed',
  details:
    'Identity keys, websetup secrets, tokens and passwords are removed from every part. The file is ' +
    'readable only by you (mode 0600), named hnet-bugreport-<host>-<time> in this folder unless ' +
    '--output says otherwise, and never replaces an existing file. With --json the file is JSON and ' +
    'hnet prints {"file": …}. Run it as root to include hnetd\'s journal.',
  options: { ...jsonOption, output: { type: 'string', short: 'o' } },
  arity: [0, 0],
  async run({ values, socketPath }) {
    const json = values['json'] === true;
    const stamp = new Date()
      .toISOString()
      .replace(/[:.]/g, '-')
      .replace(/-\d+Z$/, 'Z');
    const output = values['output'];
    const path = resolve(
      typeof output === 'string' ? output : `hnet-bugreport-${hostname()}-${stamp}.${json ? 'json' : 'txt'}`,
    );
    const report = redactJson(await gather(socketPath)) as Report;
    const text = json ? `${JSON.stringify(report, null, 2)}\n` : redactText(asText(report));
    try {
      await writeReport(path, text);
    } catch (error) {
      const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
      complain(
        exists
          ? `${path} exists already; choose another --output`
          : `cannot write ${path}: ${errorText(error)}`,
      );
      return EXIT_FAILED;
    }
    if (json) printJson({ file: path });
    else print(`wrote ${path} (readable only by you); attach it to your bug report`);
    return EXIT_OK;
  },
};
