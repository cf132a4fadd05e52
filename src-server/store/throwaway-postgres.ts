// For tests: a PostgreSQL cluster of its own in a temporary directory, listening only on a Unix
// socket there, run as the `postgres` user (initdb refuses root), and removed by `stop()`.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

export interface ThrowawayPostgres {
  /** A connection URL for the cluster's `postgres` database. */
  url: string;
  /** Creates an empty database of its own (for one test); resolves with its URL. */
  freshDatabase(): Promise<string>;
  /** Shuts the server down, keeping its data, as an outage would… */
  pause(): Promise<void>;
  /** …and starts it again. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

function binaries(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(PG_ROOT, versions[0], 'bin');
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (!binaries())
    return `PostgreSQL binaries are not installed under ${PG_ROOT} (apt-get install postgresql)`;
  if (userInfo().uid !== 0)
    return 'starting a throwaway PostgreSQL cluster needs root (to run it as postgres)';
  return undefined;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = binaries()!;
  const dir = mkdtempSync(join(tmpdir(), 'hnet-pg-'));
  const { uid, gid } = await run('id', ['-u', 'postgres']).then(async (u) => ({
    uid: Number(u.stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  }));
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const asPostgres = (tool: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]);
  let started = false;
  const stop = async () => {
    if (started)
      await asPostgres('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-s']).catch(() => undefined);
    started = false;
    rmSync(dir, { recursive: true, force: true });
  };
  const options = `-c listen_addresses='' -c unix_socket_directories=${dir} -c fsync=off`;
  const start = async () => {
    started = true;
    await asPostgres('pg_ctl', ['start', '-D', data, '-w', '-s', '-l', join(dir, 'log'), '-o', options]);
  };
  const pause = async () => {
    await asPostgres('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-s']);
    started = false;
  };
  try {
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `postgresql://postgres@${encodeURIComponent(dir)}/postgres`;
  let databases = 0;
  const freshDatabase = async (): Promise<string> => {
    const name = `fresh${++databases}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return url.replace(/\/postgres$/, `/${name}`);
  };
  return { url, freshDatabase, pause, resume: start, stop };
}
