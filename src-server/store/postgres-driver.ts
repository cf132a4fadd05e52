// PostgreSQL for deployments that outgrow one machine: several hnet-server processes may share one
// database. `?` placeholders become `$1…`, and BIGINT columns (our millisecond timestamps) come back
// as numbers rather than pg's default strings.
import pg from 'pg';
import { SqlConflict, type Row, type SqlDriver, type SqlExecutor, type SqlValue } from './sql-driver.js';

const BIGINT_OID = 20;
const UNIQUE_VIOLATION = '23505';

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

async function query(client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]) {
  try {
    return await client.query(numbered(sql), params as SqlValue[]);
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw new SqlConflict((error as Error).message);
    throw error;
  }
}

function executorFor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async (sql, params = []) => (await query(client, sql, params)).rows as Row[],
    run: async (sql, params = []) => (await query(client, sql, params)).rowCount ?? 0,
  };
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres';
  private readonly direct: SqlExecutor;

  private constructor(private readonly pool: pg.Pool) {
    this.direct = executorFor(pool);
  }

  /** Connects once to fail early with a clear message when the URL is wrong. */
  static async connect(url: string): Promise<PostgresDriver> {
    const pool = new pg.Pool({
      connectionString: url,
      max: 8,
      types: {
        getTypeParser: (oid: number, format?: string) =>
          oid === BIGINT_OID ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format as 'text'),
      },
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (error) {
      await pool.end();
      throw new Error(`cannot connect to PostgreSQL: ${(error as Error).message}`);
    }
    return new PostgresDriver(pool);
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.direct.all(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(executorFor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
