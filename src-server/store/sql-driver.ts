// The one seam between the store and a database engine. Statements are written once, in the SQL
// both SQLite and PostgreSQL accept, with `?` placeholders; each driver adapts them.
export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface SqlExecutor {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Resolves to the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` alone and atomically: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A statement broke a UNIQUE or PRIMARY KEY constraint; the store turns it into a `Conflict`. */
export class SqlConflict extends Error {
  override readonly name = 'SqlConflict';
}
