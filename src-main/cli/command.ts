// What every `hnet` command is made of, and the few helpers they share: printing, reporting an
// engine error, and one control call from connect to close. Exit codes: 0 done, 1 failed, 2 the
// command line itself was wrong.
import type { ParseArgsConfig } from 'node:util';
import { ControlClient } from '../engine/client.js';
import { checkParams, type CallName, type ParamsOf, type ResultOf } from '../contract/control-calls.js';
import type { EngineError } from '../contract/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Invocation {
  positionals: string[];
  values: Values;
  socketPath: string;
}

export interface Command {
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

/** A command line that is wrong; the message is a sentence, the command's usage is added to it. */
export class UsageError extends Error {}

export const print = (text: string): void => void process.stdout.write(`${text}\n`);
export const complain = (text: string): void => void process.stderr.write(`hnet: ${text}\n`);
export const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

export const jsonOption: Options = { json: { type: 'boolean', short: 'j' } };

export function report(error: EngineError): number {
  complain(error.message);
  return error.kind === 'BadParams' ? EXIT_USAGE : EXIT_FAILED;
}

/** Connects, makes one call and hands the answer to `show`. Arguments are checked before connecting. */
export async function request<K extends CallName>(
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

/** A positive number of seconds from option `name`, or `fallback` when it is not given. */
export function seconds(values: Values, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive number of seconds, not "${String(raw)}"`);
  return value;
}
