// The embedded default: SQLite compiled to WebAssembly (node-sqlite3-wasm), writing a real file in
// the state directory. No native build step, and the same binary on every platform.
//
// The wasm build locks the database by creating a `<file>.lock` directory, which a crashed process
// leaves behind and which then refuses every later open. So a pid file beside the database says who
// owns it: a live owner keeps a second hnet-server off, a dead one's stale lock directory is
// removed. Its calls are synchronous; a promise chain makes a transaction run alone even though
// callers await between its statements.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import sqlite from 'node-sqlite3-wasm';
import { SqlConflict, type Row, type SqlDriver, type SqlExecutor, type SqlValue } from './sql-driver.js';

const { Database } = sqlite;
type WasmDatabase = InstanceType<typeof Database>;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `pidFile`, replacing one left by a process that no longer runs. */
function takeOwnership(pidFile: string, staleLock: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      rmSync(staleLock, { recursive: true, force: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner))
        throw new Error(
          `${pidFile} shows that process ${owner} uses this database; stop that hnet-server first, or give this one another --state-dir`,
        );
      rmSync(pidFile, { force: true });
    }
  }
  throw new Error(`cannot take ${pidFile}; remove it if no hnet-server is running`);
}

function wrap<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (/UNIQUE constraint failed|PRIMARY KEY/i.test((error as Error).message))
      throw new SqlConflict((error as Error).message);
    throw error;
  }
}

function executorFor(db: WasmDatabase): SqlExecutor {
  return {
    all: (sql, params = []) => Promise.resolve(wrap(() => db.all(sql, params as SqlValue[]) as Row[])),
    run: (sql, params = []) => Promise.resolve(wrap(() => db.run(sql, params as SqlValue[]).changes)),
  };
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite';
  private readonly direct: SqlExecutor;
  /** Every operation waits for the one before it, so nothing runs inside another's transaction. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: WasmDatabase,
    private readonly pidFile: string | undefined,
  ) {
    this.direct = executorFor(db);
  }

  /** `:memory:` for a throwaway database; any other name is a file, owned by this process. */
  static open(file: string): SqliteDriver {
    const pidFile = file === ':memory:' ? undefined : `${file}.pid`;
    if (pidFile) takeOwnership(pidFile, `${file}.lock`);
    try {
      const db = new Database(file);
      db.exec('PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;');
      return new SqliteDriver(db, pidFile);
    } catch (error) {
      if (pidFile) rmSync(pidFile, { force: true });
      throw error;
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.serially(() => this.direct.all(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.serially(() => this.direct.run(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serially(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.serially(() => {
      this.db.close();
      if (this.pidFile) rmSync(this.pidFile, { force: true });
      return Promise.resolve();
    });
  }
}
