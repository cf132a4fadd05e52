// The cluster's shared registry in PostgreSQL: which bases are alive and where other bases reach
// them, which base holds each device and the endpoints DEVICE_ADDRESSES lists for it, and the key
// bases sign their packets to each other with. Each base keeps the whole registry in memory, so the
// relay never waits on the database; LISTEN/NOTIFY tells every base of a change at once, and a
// reload follows any moment notifications may have been missed.
//
// A device's claim carries when its connection opened: when a device moved and the base it left has
// not noticed yet, the newer claim wins (in the table and in every base's copy) and the older base
// closes its stale connection.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { formatEndpoint, parseEndpoint, type Endpoint } from '../../../src-protocol/endpoint.js';
import { notifyEach, postgresChanges, type ChangeChannel } from '../../store/pg-notifications.js';
import { sameEndpoints } from '../address-book.js';
import { idKey } from '../connection.js';
import { BASE_ID_LENGTH, CLUSTER_KEY_LENGTH } from './cluster-wire.js';

/** A base counts as alive this long after it last wrote its heartbeat. */
const BASE_ALIVE_SECONDS = 10;
const HEARTBEAT_MS = 2_000;
/** Rows of bases silent this long are removed, with the devices they held. */
const BASE_FORGOTTEN_SECONDS = 3_600;
/** Long-gone bases are looked for this many heartbeats apart. */
const CLEANUP_EVERY_BEATS = 30;
/** Claims written per statement when many devices connect at once. */
const WRITE_BATCH = 500;
const WRITE_RETRY_MS = 1_000;
const DEVICES_CHANNEL = 'hnet_cluster_devices';
const BASES_CHANNEL = 'hnet_cluster_bases';

export interface ClusterBase {
  id: string;
  /** Where its cluster packets go over UDP: its first UDP socket. */
  udp: Endpoint;
  /** Its TCP listener, for the link that carries what UDP cannot. */
  tcp: Endpoint;
}

export interface DeviceClaim {
  baseId: string;
  /** When the device's connection to that base opened (ms since the epoch, that base's clock). */
  since: number;
  endpoints: Endpoint[];
}

export interface DirectoryEvents {
  /** Another base's device appeared, moved, changed endpoints, or went (claim undefined). */
  deviceChanged(id: Uint8Array, key: string, claim: DeviceClaim | undefined): void;
  basesChanged(): void;
  /** Our base had been removed from the registry, with its devices, and is back: publish them all. */
  rejoined(): void;
}

type Pending = { id: Uint8Array; since: number; endpoints: Endpoint[] } | { id: Uint8Array; gone: true };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hnet_cluster_key (
  one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
  secret BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS hnet_cluster_bases (
  base_id TEXT PRIMARY KEY,
  udp TEXT NOT NULL,
  tcp TEXT NOT NULL,
  seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS hnet_cluster_devices (
  device TEXT PRIMARY KEY,
  base_id TEXT NOT NULL,
  since BIGINT NOT NULL,
  endpoints TEXT NOT NULL
);`;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** A device id as the registry writes it. */
const DEVICE_HEX = /^[0-9a-f]{32}$/;

function parseEndpoints(text: string): Endpoint[] | undefined {
  if (text === '') return [];
  const out: Endpoint[] = [];
  for (const part of text.split(',')) {
    const parsed = parseEndpoint(part);
    if (!parsed.ok) return undefined;
    out.push(parsed.value);
  }
  return out;
}

const sameClaim = (a: DeviceClaim, b: DeviceClaim): boolean =>
  a.baseId === b.baseId && a.since === b.since && sameEndpoints(a.endpoints, b.endpoints);

/** `base;device;since;endpoints` or `base;device;-`: items of a notification hold no space. */
function claimItem(baseId: string, change: Pending): string {
  const device = hex(change.id);
  if ('gone' in change) return `${baseId};${device};-`;
  return `${baseId};${device};${change.since};${change.endpoints.map(formatEndpoint).join(',')}`;
}

export class ClusterDirectory {
  readonly baseId: string;
  private readonly others = new Map<string, ClusterBase>();
  private readonly claims = new Map<string, DeviceClaim>();
  private readonly pending = new Map<string, Pending>();
  private flushing: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private lastWriteError = '';
  private beats = 0;
  /** Whether the last heartbeat reached the database, and when that was (the status says both). */
  databaseReachable = true;
  databaseCheckedAt = Date.now();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly changes: ChangeChannel,
    readonly idBytes: Uint8Array,
    readonly key: Uint8Array,
    private readonly own: ClusterBase,
    private readonly events: DirectoryEvents,
    private readonly log: (line: string) => void,
  ) {
    this.baseId = hex(idBytes);
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Opens the registry at `url` for a new base reachable at `own` (its id is made here); join()
   * then announces it and reads the others, telling `events` of each.
   */
  static async open(
    url: string,
    own: Omit<ClusterBase, 'id'>,
    events: DirectoryEvents,
    log: (line: string) => void,
  ): Promise<ClusterDirectory> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined);
    const changes = postgresChanges(url, log);
    try {
      const idBytes = randomBytes(BASE_ID_LENGTH);
      const key = await prepare(pool);
      return new ClusterDirectory(pool, changes, idBytes, key, { id: hex(idBytes), ...own }, events, log);
    } catch (error) {
      await changes.close();
      await pool.end().catch(() => undefined);
      throw new Error(`cannot open the base cluster's registry: ${(error as Error).message}`);
    }
  }

  async join(): Promise<void> {
    const udp = formatEndpoint(this.own.udp);
    // A base restarted at the same address: what its previous run held is gone with it.
    await this.pool.query(
      `DELETE FROM hnet_cluster_devices WHERE base_id IN
         (SELECT base_id FROM hnet_cluster_bases WHERE udp = $1 AND base_id <> $2)`,
      [udp, this.baseId],
    );
    await this.pool.query('DELETE FROM hnet_cluster_bases WHERE udp = $1 AND base_id <> $2', [
      udp,
      this.baseId,
    ]);
    await this.pool.query('INSERT INTO hnet_cluster_bases (base_id, udp, tcp) VALUES ($1, $2, $3)', [
      this.baseId,
      udp,
      formatEndpoint(this.own.tcp),
    ]);
    await this.changes.listen(DEVICES_CHANNEL, (payload) =>
      payload === undefined ? void this.reload() : this.heard(payload),
    );
    await this.changes.listen(BASES_CHANNEL, () => void this.reload());
    await this.reload();
    await this.changes.notify(BASES_CHANNEL, this.baseId);
  }

  /** The other bases alive now. */
  bases(): IterableIterator<ClusterBase> {
    return this.others.values();
  }

  /** Which other live base holds the device with this idKey, if any. */
  claim(key: string): DeviceClaim | undefined {
    const claim = this.claims.get(key);
    return claim && this.others.has(claim.baseId) ? claim : undefined;
  }

  /** How many devices the other live bases hold. */
  get remoteDevices(): number {
    let count = 0;
    for (const claim of this.claims.values()) if (this.others.has(claim.baseId)) count++;
    return count;
  }

  /** One of our devices connected or changed its endpoints. */
  publish(id: Uint8Array, since: number, endpoints: readonly Endpoint[]): void {
    this.queue({ id, since, endpoints: [...endpoints] });
  }

  /** One of our devices went offline. */
  withdraw(id: Uint8Array): void {
    this.queue({ id, gone: true });
  }

  private queue(change: Pending): void {
    this.pending.set(idKey(change.id), change);
    this.startFlush();
  }

  private startFlush(): void {
    this.flushing ??= Promise.resolve()
      .then(() => this.flush())
      .finally(() => (this.flushing = undefined));
  }

  private async flush(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending.entries()].slice(0, WRITE_BATCH);
      for (const [key] of batch) this.pending.delete(key);
      try {
        await this.write(batch.map(([, change]) => change));
        this.lastWriteError = '';
      } catch (error) {
        // Newer changes queued meanwhile win over the failed ones.
        for (const [key, change] of batch) if (!this.pending.has(key)) this.pending.set(key, change);
        const message = (error as Error).message;
        if (message !== this.lastWriteError) this.log(`cluster: cannot write device claims: ${message}`);
        this.lastWriteError = message;
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.startFlush();
        }, WRITE_RETRY_MS);
        this.retry.unref();
        return;
      }
    }
  }

  private async write(changes: Pending[]): Promise<void> {
    const claimed = changes.filter((c): c is Exclude<Pending, { gone: true }> => !('gone' in c));
    const gone = changes.filter((c) => 'gone' in c).map((c) => hex(c.id));
    if (claimed.length > 0) {
      const params: (string | number)[] = [];
      const rows = claimed.map((c, i) => {
        params.push(hex(c.id), this.baseId, c.since, c.endpoints.map(formatEndpoint).join(','));
        return `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`;
      });
      await this.pool.query(
        `INSERT INTO hnet_cluster_devices (device, base_id, since, endpoints) VALUES ${rows.join(', ')}
         ON CONFLICT (device) DO UPDATE SET base_id = excluded.base_id, since = excluded.since,
           endpoints = excluded.endpoints
         WHERE hnet_cluster_devices.since <= excluded.since`,
        params,
      );
    }
    if (gone.length > 0)
      await this.pool.query('DELETE FROM hnet_cluster_devices WHERE base_id = $1 AND device = ANY($2)', [
        this.baseId,
        gone,
      ]);
    await notifyEach(
      this.changes,
      DEVICES_CHANNEL,
      changes.map((change) => claimItem(this.baseId, change)),
    );
  }

  private heard(payload: string): void {
    for (const item of payload.split(' ')) {
      const [baseId, device, since, endpoints] = item.split(';');
      if (!baseId || baseId === this.baseId || !device || !DEVICE_HEX.test(device)) continue;
      const id = Buffer.from(device, 'hex');
      if (since === '-') {
        this.apply(id, undefined, baseId);
        continue;
      }
      const parsed = parseEndpoints(endpoints ?? '');
      const when = Number(since);
      if (parsed && Number.isSafeInteger(when)) this.apply(id, { baseId, since: when, endpoints: parsed });
    }
  }

  private apply(id: Uint8Array, claim: DeviceClaim | undefined, goneFrom?: string): void {
    const key = idKey(id);
    const known = this.claims.get(key);
    if (claim) {
      // Older than what we hold, or what we hold already (a reload reads every claim again).
      if (known && (known.since > claim.since || sameClaim(known, claim))) return;
      this.claims.set(key, claim);
    } else {
      if (!known || known.baseId !== goneFrom) return;
      this.claims.delete(key);
    }
    this.events.deviceChanged(id, key, claim);
  }

  /** Reads everything again, after notifications may have been missed. */
  private async reload(): Promise<void> {
    await this.reloadBases();
    await this.reloadDevices();
  }

  private async reloadDevices(): Promise<void> {
    const result = await this.pool
      .query<{ device: string; base_id: string; since: string; endpoints: string }>(
        'SELECT device, base_id, since, endpoints FROM hnet_cluster_devices WHERE base_id = ANY($1)',
        [[...this.others.keys()]],
      )
      .catch(() => undefined);
    if (!result) return;
    const seen = new Set<string>();
    for (const row of result.rows) {
      const endpoints = parseEndpoints(row.endpoints);
      if (!endpoints || !DEVICE_HEX.test(row.device)) continue;
      const id = Buffer.from(row.device, 'hex');
      seen.add(idKey(id));
      this.apply(id, { baseId: row.base_id, since: Number(row.since), endpoints });
    }
    for (const [key, claim] of [...this.claims])
      if (!seen.has(key)) this.apply(Buffer.from(key, 'latin1'), undefined, claim.baseId);
  }

  /** Learns which bases are alive; true if that changed (the caller then reads their devices again). */
  private async reloadBases(): Promise<boolean> {
    const result = await this.pool
      .query<{ base_id: string; udp: string; tcp: string }>(
        `SELECT base_id, udp, tcp FROM hnet_cluster_bases
         WHERE base_id <> $1 AND seen_at > now() - make_interval(secs => $2)`,
        [this.baseId, BASE_ALIVE_SECONDS],
      )
      .catch(() => undefined);
    if (!result) return false;
    const alive = new Map<string, ClusterBase>();
    for (const row of result.rows) {
      const udp = parseEndpoint(row.udp);
      const tcp = parseEndpoint(row.tcp);
      if (udp.ok && tcp.ok) alive.set(row.base_id, { id: row.base_id, udp: udp.value, tcp: tcp.value });
    }
    const changed = alive.size !== this.others.size || [...alive.keys()].some((id) => !this.others.has(id));
    if (!changed) return false;
    this.others.clear();
    for (const [id, base] of alive) this.others.set(id, base);
    this.events.basesChanged();
    return true;
  }

  /** Says we are alive, learns who else is, and forgets bases long gone. */
  private async beat(): Promise<void> {
    try {
      const updated = await this.pool.query(
        'UPDATE hnet_cluster_bases SET seen_at = now() WHERE base_id = $1',
        [this.baseId],
      );
      if (updated.rowCount === 0) {
        // Taken for gone (and its devices with it) while the database was out of reach: join again
        // and say everything we hold.
        await this.pool.query('INSERT INTO hnet_cluster_bases (base_id, udp, tcp) VALUES ($1, $2, $3)', [
          this.baseId,
          formatEndpoint(this.own.udp),
          formatEndpoint(this.own.tcp),
        ]);
        this.events.rejoined();
      }
      if (!this.databaseReachable) this.log('cluster: database reachable again');
      this.databaseReachable = true;
      this.databaseCheckedAt = Date.now();
      if (await this.reloadBases()) await this.reloadDevices();
      if (++this.beats % CLEANUP_EVERY_BEATS === 0)
        await this.pool.query(
          `DELETE FROM hnet_cluster_bases WHERE seen_at < now() - make_interval(secs => ${BASE_FORGOTTEN_SECONDS});
           DELETE FROM hnet_cluster_devices d WHERE NOT EXISTS
             (SELECT 1 FROM hnet_cluster_bases b WHERE b.base_id = d.base_id)`,
        );
    } catch (error) {
      if (this.databaseReachable) this.log(`cluster: database unreachable: ${(error as Error).message}`);
      this.databaseReachable = false;
      this.databaseCheckedAt = Date.now();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    await this.flushing;
    await this.pool
      .query('DELETE FROM hnet_cluster_devices WHERE base_id = $1', [this.baseId])
      .catch(() => {});
    await this.pool.query('DELETE FROM hnet_cluster_bases WHERE base_id = $1', [this.baseId]).catch(() => {});
    await this.changes.notify(BASES_CHANNEL, this.baseId).catch(() => undefined);
    await this.changes.close();
    await this.pool.end().catch(() => undefined);
  }
}

/** Creates the tables once, under a lock so bases starting together do not race; returns the key. */
async function prepare(pool: pg.Pool): Promise<Uint8Array> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('hnet_cluster_schema'))");
    await client.query(SCHEMA);
    await client.query('INSERT INTO hnet_cluster_key (secret) VALUES ($1) ON CONFLICT (one) DO NOTHING', [
      randomBytes(CLUSTER_KEY_LENGTH),
    ]);
    const { rows } = await client.query<{ secret: Buffer }>('SELECT secret FROM hnet_cluster_key');
    await client.query('COMMIT');
    const secret = rows[0]?.secret;
    if (!secret || secret.length !== CLUSTER_KEY_LENGTH)
      throw new Error('the cluster key in the database is damaged');
    return new Uint8Array(secret);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
