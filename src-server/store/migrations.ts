// The schema, as an append-only list of migrations in SQL that SQLite and PostgreSQL both accept:
// TEXT keys made by the server (no AUTOINCREMENT/SERIAL split), BIGINT milliseconds for times,
// INTEGER 0/1 rather than BOOLEAN. Never edit a released migration; add the next one.
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts and sign-in',
    statements: [
      `CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        expires_at BIGINT NOT NULL)`,
      `CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT)`,
      'CREATE INDEX sessions_by_account ON sessions (account_id)',
      'CREATE INDEX api_tokens_by_account ON api_tokens (account_id)',
    ],
  },
  {
    version: 2,
    name: 'devices, join codes and networks',
    statements: [
      `CREATE TABLE join_codes (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE devices (
        address TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        hostname TEXT NOT NULL,
        secret TEXT NOT NULL,
        joined_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL)`,
      `CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE network_shares (
        network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        PRIMARY KEY (network_id, account_id))`,
      `CREATE TABLE network_devices (
        network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        device_address TEXT NOT NULL REFERENCES devices(address) ON DELETE CASCADE,
        PRIMARY KEY (network_id, device_address))`,
      'CREATE INDEX join_codes_by_account ON join_codes (account_id)',
      'CREATE INDEX devices_by_account ON devices (account_id)',
      'CREATE INDEX network_devices_by_device ON network_devices (device_address)',
    ],
  },
  {
    version: 3,
    name: 'what websetup has confirmed on each device',
    statements: [
      `CREATE TABLE pushed_entries (
        device_address TEXT NOT NULL REFERENCES devices(address) ON DELETE CASCADE,
        entry TEXT NOT NULL,
        PRIMARY KEY (device_address, entry))`,
    ],
  },
  {
    version: 4,
    name: 'devices that sign their joins',
    statements: [
      // No reference to devices: the record must outlive a device deleted from the dashboard, or an
      // unsigned join in its name would be taken again.
      `CREATE TABLE signed_joins (
        device_address TEXT PRIMARY KEY,
        first_signed_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 5,
    name: "the server's first account",
    statements: [
      // One row at most (slot is always 1): claiming the server is an INSERT that only one of
      // several racing sign-ups can win, on SQLite and PostgreSQL alike.
      `CREATE TABLE server_owner (
        slot INTEGER PRIMARY KEY CHECK (slot = 1),
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        claimed_at BIGINT NOT NULL)`,
      `INSERT INTO server_owner (slot, account_id, claimed_at)
        SELECT 1, id, created_at FROM accounts ORDER BY created_at, id LIMIT 1`,
    ],
  },
  {
    version: 6,
    name: 'join codes for a network, kept when revoked, and which devices joined with each',
    statements: [
      // Codes made before this go on joining devices to their account only: a secret already handed
      // out is never silently given more reach.
      'ALTER TABLE join_codes ADD COLUMN network_id TEXT REFERENCES networks(id) ON DELETE CASCADE',
      'ALTER TABLE join_codes ADD COLUMN revoked_at BIGINT',
      'ALTER TABLE devices ADD COLUMN join_code_id TEXT REFERENCES join_codes(id) ON DELETE SET NULL',
      'CREATE INDEX join_codes_by_network ON join_codes (network_id)',
      'CREATE INDEX devices_by_join_code ON devices (join_code_id)',
    ],
  },
  {
    version: 7,
    name: 'several servers on one database',
    statements: [
      // The websetup node a device joined through: the only one whose commands it takes. NULL for
      // devices that joined before, served by every websetup until they next ask one.
      'ALTER TABLE devices ADD COLUMN websetup TEXT',
      'CREATE INDEX devices_by_websetup ON devices (websetup)',
      // Every server's base addresses (ip:port, space-separated), so each license names them all.
      `CREATE TABLE servers (
        id TEXT PRIMARY KEY,
        base_servers TEXT NOT NULL,
        websetup TEXT,
        registered_at BIGINT NOT NULL)`,
      // The public half of the key every server signs license.json with (one row at most): a server
      // holding another key refuses to start instead of issuing a license devices would reject.
      `CREATE TABLE license_key (
        slot INTEGER PRIMARY KEY CHECK (slot = 1),
        public_key TEXT NOT NULL,
        recorded_at BIGINT NOT NULL)`,
    ],
  },
];

export const LATEST_VERSION = migrations.at(-1)!.version;

async function currentVersion(tx: SqlExecutor): Promise<number> {
  const rows = await tx.all('SELECT MAX(version) AS version FROM schema_migrations');
  return Number(rows[0]?.version ?? 0);
}

/**
 * Brings the database to `target` (the latest by default), each migration in its own transaction.
 * On PostgreSQL an advisory lock makes concurrent servers take turns; SQLite is one process.
 */
export async function migrate(driver: SqlDriver, target = LATEST_VERSION): Promise<number> {
  for (;;) {
    const applied = await driver.transaction(async (tx) => {
      if (driver.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(5580)');
      // Inside the lock: two servers creating it at once would collide even with IF NOT EXISTS.
      await tx.run(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const version = await currentVersion(tx);
      if (version > LATEST_VERSION)
        throw new Error(
          `the database is at schema version ${version}, newer than this hnet-server knows (${LATEST_VERSION}); upgrade hnet-server`,
        );
      const next = migrations.find((m) => m.version === version + 1);
      if (!next || next.version > target) return undefined;
      for (const statement of next.statements) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        next.version,
        next.name,
        Date.now(),
      ]);
      return next.version;
    });
    if (applied === undefined) return driver.transaction(currentVersion);
  }
}
