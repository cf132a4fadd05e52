// A small JSON document in the state directory that the engine keeps in memory and rewrites
// atomically on every change. Changes run one at a time and memory only moves once the file is
// on disk, so what the engine enforces is always what a restart will load.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../../src-shared/atomic-file.js';
import { errorText, failure, success, type Outcome } from '../../contract/errors.js';
import { STATE_FILE_MODE } from './state-dir.js';
import type { Validator } from '../../../src-shared/validate.js';

export class PersistedJson<T> {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(value: T) => void>();

  private constructor(
    private readonly file: string,
    private current: T,
  ) {}

  /** Reads the file; a missing file starts from `initial`, a damaged one is an error, never reset. */
  static async open<T>(file: string, check: Validator<T>, initial: T): Promise<Outcome<PersistedJson<T>>> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return success(new PersistedJson(file, initial));
      return failure('BadState', `cannot read ${file}: ${errorText(error)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return failure('BadState', `${file} is damaged (${errorText(error)}); fix it or move it away`);
    }
    const checked = check(json, '');
    if (!checked.ok)
      return failure('BadState', `${file} is damaged: ${checked.error}; fix it or move it away`);
    return success(new PersistedJson(file, checked.value));
  }

  get value(): T {
    return this.current;
  }

  /**
   * Applies `change` to the latest value, writes the result and only then makes it current.
   * `change` may refuse with an error (e.g. removing what is not there); nothing is written then.
   */
  update<R>(change: (current: T) => Outcome<{ next: T; answer: R }>): Promise<Outcome<R>> {
    const run = async (): Promise<Outcome<R>> => {
      const decided = change(this.current);
      if (!decided.ok) return decided;
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(decided.value.next, null, 2)}\n`, STATE_FILE_MODE);
      } catch (error) {
        return failure('BadState', `cannot save ${this.file}: ${errorText(error)}`);
      }
      this.current = decided.value.next;
      for (const listener of this.listeners) listener(this.current);
      return success(decided.value.answer);
    };
    const result = this.queue.then(run);
    this.queue = result;
    return result;
  }

  onChange(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
