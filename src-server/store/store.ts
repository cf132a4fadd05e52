// Everything the dashboard and websetup keep: accounts, sign-in sessions, API tokens, join codes,
// devices, networks and their shares, and what websetup has confirmed on each device. Secrets the
// server only needs to recognise (passwords, session and API tokens, join codes) arrive here
// already hashed. Access rules live here too, so no caller can forget one.
import { randomUUID } from 'node:crypto';
import type { Result } from '../../src-protocol/result.js';
import { deviceNameProblem } from '../../src-shared/hostname.js';
import { nameCandidates, nameFromRequest } from './device-names.js';
import { migrate } from './migrations.js';
import { PostgresDriver } from './postgres-driver.js';
import { SqlConflict, type Row, type SqlDriver, type SqlExecutor, type SqlValue } from './sql-driver.js';
import { SqliteDriver } from './sqlite-driver.js';

export type StoreErrorKind = 'Conflict' | 'NotFound' | 'Forbidden' | 'BadName';
export interface StoreError {
  kind: StoreErrorKind;
  message: string;
}
export type StoreResult<T> = Result<T, StoreError>;

const done = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
const refuse = (kind: StoreErrorKind, message: string): { ok: false; error: StoreError } => ({
  ok: false,
  error: { kind, message },
});

export interface Account {
  id: string;
  email: string;
  createdAt: number;
}
export interface ApiToken {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}
export interface JoinCodeRecord {
  id: string;
  label: string;
  createdAt: number;
  /** The network a device joining with it is put in; null for a code made before codes had one. */
  networkId: string | null;
  /** That network's name, while the code's account may still use the network. */
  networkName: string | null;
  /** A revoked code joins nothing more, but stays listed with the devices that joined with it. */
  revokedAt: number | null;
  /** The account's devices that joined with it (last). */
  devices: { address: string; hostname: string }[];
}
/** What a join code that still works grants: a place in its account and, if made for one, a network. */
export interface JoinGrant {
  accountId: string;
  codeId: string;
  networkId: string | null;
}
export interface Device {
  address: string;
  accountId: string;
  hostname: string;
  joinedAt: number;
  lastSeenAt: number;
  /** The join code the device last joined with, if it is still on record. */
  joinCodeId: string | null;
}
/**
 * How a join request showed it came from the device's own engine: signed with the device key
 * (an hnet device), or not at all (a stock Husarnet daemon).
 */
export type JoinProofKind = 'signed' | 'unsigned';
/** What websetup needs to reach a device. */
export interface DeviceContact {
  address: string;
  hostname: string;
  secret: string;
  /** The websetup node the device joined through, which alone may command it; null: any (joined before). */
  websetup?: string | null;
}
/** A server sharing the database: its addresses as of its last start. */
export interface ServerRecord {
  id: string;
  /** Its base servers as devices reach them, `ip:port`. */
  baseServers: string[];
  websetup: string | null;
  registeredAt: number;
}
export interface NetworkSummary {
  id: string;
  name: string;
  ownerEmail: string;
  /** Whether the caller owns it (only owners share, unshare and delete). */
  owned: boolean;
  deviceCount: number;
}
export interface NetworkDetail extends NetworkSummary {
  devices: { address: string; hostname: string; ownerEmail: string }[];
  sharedWith: string[];
}

const text = (row: Row | undefined, column: string): string => String(row?.[column] ?? '');
const num = (row: Row | undefined, column: string): number => Number(row?.[column] ?? 0);

function deviceFrom(row: Row): Device {
  return {
    address: text(row, 'address'),
    accountId: text(row, 'account_id'),
    hostname: text(row, 'hostname'),
    joinedAt: num(row, 'joined_at'),
    lastSeenAt: num(row, 'last_seen_at'),
    joinCodeId:
      row.join_code_id === null || row.join_code_id === undefined ? null : text(row, 'join_code_id'),
  };
}

/** `postgres://…` and `postgresql://…` URLs go to PostgreSQL, anything else is a SQLite file. */
export async function openDriver(location: string): Promise<SqlDriver> {
  return /^postgres(ql)?:\/\//.test(location)
    ? PostgresDriver.connect(location)
    : SqliteDriver.open(location);
}

/** A device (`viewer`) that sees two devices called `name`, letter case aside (itself may be one). */
interface NameClash {
  viewer: string;
  viewerName: string;
  name: string;
}

/** Refuses a change that gives some device two peers of one name; the transaction is rolled back. */
class NameTaken extends Error {
  override readonly name = 'NameTaken';
}

/** The devices whose view of names a change can touch, as SQL selecting their addresses. */
interface Viewers {
  sql: string;
  params: SqlValue[];
}

/** A device and every device it shares a network with: who sees that device's name. */
const seeing = (address: string): Viewers => ({
  sql: `SELECT theirs.device_address FROM network_devices mine
    JOIN network_devices theirs ON theirs.network_id = mine.network_id WHERE mine.device_address = ?`,
  params: [address],
});

/** Each viewer with a name it sees on two devices (itself included), keyed `viewer name`. */
async function nameClashes(tx: SqlExecutor, viewers: Viewers): Promise<Map<string, NameClash>> {
  const rows = await tx.all(
    `SELECT seen.viewer AS viewer, v.hostname AS viewer_name, LOWER(d.hostname) AS name
     FROM (SELECT DISTINCT mine.device_address AS viewer, theirs.device_address AS address
       FROM network_devices mine JOIN network_devices theirs ON theirs.network_id = mine.network_id
       WHERE mine.device_address IN (${viewers.sql})) seen
     JOIN devices d ON d.address = seen.address
     JOIN devices v ON v.address = seen.viewer
     GROUP BY seen.viewer, v.hostname, LOWER(d.hostname) HAVING COUNT(*) > 1`,
    viewers.params,
  );
  return new Map(
    rows.map((row) => [
      `${text(row, 'viewer')} ${text(row, 'name')}`,
      { viewer: text(row, 'viewer'), viewerName: text(row, 'viewer_name'), name: text(row, 'name') },
    ]),
  );
}

/** A clash the change made (one that was not there `before`), if any. */
async function newClash(
  tx: SqlExecutor,
  viewers: Viewers,
  before: Map<string, NameClash>,
): Promise<NameClash | undefined> {
  for (const [key, clash] of await nameClashes(tx, viewers)) if (!before.has(key)) return clash;
  return undefined;
}

/** Networks the account owns or that were shared with it. */
const ACCESSIBLE = `(n.owner_id = ? OR EXISTS (
  SELECT 1 FROM network_shares s WHERE s.network_id = n.id AND s.account_id = ?))`;
/** The same, for the account that made join code `c`: a code outlives its maker's access to nothing. */
const CODE_MAY_USE = `(n.owner_id = c.account_id OR EXISTS (
  SELECT 1 FROM network_shares s WHERE s.network_id = n.id AND s.account_id = c.account_id))`;

/** Whether another device of the account has this name, letter case aside. */
async function accountHasName(
  tx: SqlExecutor,
  accountId: string,
  address: string,
  hostname: string,
): Promise<boolean> {
  const [row] = await tx.all(
    'SELECT 1 AS found FROM devices WHERE account_id = ? AND address <> ? AND LOWER(hostname) = LOWER(?)',
    [accountId, address, hostname],
  );
  return row !== undefined;
}

export class Store {
  private constructor(private readonly db: SqlDriver) {}

  /** Opens and migrates the database at `location` (see `openDriver`). */
  static async open(location: string): Promise<Store> {
    const driver = await openDriver(location);
    try {
      await migrate(driver);
    } catch (error) {
      await driver.close();
      throw error;
    }
    return new Store(driver);
  }

  /**
   * Taken first by every change that can give a device a new name or new peers, so that two of
   * them cannot both pass the check for duplicate names. SQLite runs one transaction at a time.
   */
  private async lockNames(tx: SqlExecutor): Promise<void> {
    if (this.db.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(5581)');
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // Accounts and sign-in.

  /**
   * Creates an account. On a server with no account yet it becomes the first one; the dashboard
   * lets only `createFirstAccount` get that far, this is for tools and tests.
   */
  async createAccount(email: string, passwordHash: string, now = Date.now()): Promise<StoreResult<Account>> {
    return this.insertAccount(email, passwordHash, now, 'if-free');
  }

  /**
   * Creates the server's first account, atomically: of several racing calls one wins and the rest
   * get a Conflict, as does any call once the server has an account.
   */
  async createFirstAccount(
    email: string,
    passwordHash: string,
    now = Date.now(),
  ): Promise<StoreResult<Account>> {
    return this.insertAccount(email, passwordHash, now, 'required');
  }

  /** Whether the server's first account exists; once it does, it stays. */
  async hasFirstAccount(): Promise<boolean> {
    const [row] = await this.db.all('SELECT 1 AS found FROM server_owner');
    return row !== undefined;
  }

  private async insertAccount(
    email: string,
    passwordHash: string,
    now: number,
    claim: 'required' | 'if-free',
  ): Promise<StoreResult<Account>> {
    const account = { id: randomUUID(), email: email.toLowerCase(), createdAt: now };
    const claimed = `INSERT INTO server_owner (slot, account_id, claimed_at) VALUES (1, ?, ?)${claim === 'if-free' ? ' ON CONFLICT (slot) DO NOTHING' : ''}`;
    try {
      await this.db.transaction(async (tx) => {
        await tx.run('INSERT INTO accounts (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)', [
          account.id,
          account.email,
          passwordHash,
          now,
        ]);
        // Racing claims wait here for the winner's commit (PostgreSQL) or run after it (SQLite),
        // then break the slot's key and roll back their account with it.
        await tx.run(claimed, [account.id, now]);
      });
    } catch (error) {
      if (!(error instanceof SqlConflict)) throw error;
      if (claim === 'required' && (await this.hasFirstAccount()))
        return refuse('Conflict', 'This server has its first account already; sign in instead.');
      return refuse('Conflict', `An account for ${account.email} exists already.`);
    }
    return done(account);
  }

  async credentials(email: string): Promise<{ account: Account; passwordHash: string } | undefined> {
    const [row] = await this.db.all('SELECT * FROM accounts WHERE email = ?', [email.toLowerCase()]);
    if (!row) return undefined;
    return { account: this.accountFrom(row), passwordHash: text(row, 'password_hash') };
  }

  async account(id: string): Promise<Account | undefined> {
    const [row] = await this.db.all('SELECT * FROM accounts WHERE id = ?', [id]);
    return row && this.accountFrom(row);
  }

  private accountFrom(row: Row): Account {
    return { id: text(row, 'id'), email: text(row, 'email'), createdAt: num(row, 'created_at') };
  }

  async createSession(
    tokenHash: string,
    accountId: string,
    csrfToken: string,
    expiresAt: number,
  ): Promise<void> {
    await this.db.run(
      'INSERT INTO sessions (token_hash, account_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)',
      [tokenHash, accountId, csrfToken, expiresAt],
    );
  }

  /** The live session for a token hash; expired ones are deleted on the way. */
  async session(
    tokenHash: string,
    now = Date.now(),
  ): Promise<{ accountId: string; csrfToken: string } | undefined> {
    await this.db.run('DELETE FROM sessions WHERE expires_at <= ?', [now]);
    const [row] = await this.db.all('SELECT account_id, csrf_token FROM sessions WHERE token_hash = ?', [
      tokenHash,
    ]);
    return row && { accountId: text(row, 'account_id'), csrfToken: text(row, 'csrf_token') };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE token_hash = ?', [tokenHash]);
  }

  async createApiToken(
    accountId: string,
    name: string,
    tokenHash: string,
    now = Date.now(),
  ): Promise<ApiToken> {
    const token = { id: randomUUID(), name, createdAt: now, lastUsedAt: null };
    await this.db.run(
      'INSERT INTO api_tokens (id, account_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      [token.id, accountId, name, tokenHash, now],
    );
    return token;
  }

  async apiTokens(accountId: string): Promise<ApiToken[]> {
    const rows = await this.db.all('SELECT * FROM api_tokens WHERE account_id = ? ORDER BY created_at', [
      accountId,
    ]);
    return rows.map((row) => ({
      id: text(row, 'id'),
      name: text(row, 'name'),
      createdAt: num(row, 'created_at'),
      lastUsedAt: row.last_used_at === null ? null : num(row, 'last_used_at'),
    }));
  }

  /** The account an API token belongs to, recording its use. */
  async accountForApiToken(tokenHash: string, now = Date.now()): Promise<string | undefined> {
    const [row] = await this.db.all('SELECT account_id FROM api_tokens WHERE token_hash = ?', [tokenHash]);
    if (!row) return undefined;
    await this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?', [now, tokenHash]);
    return text(row, 'account_id');
  }

  async deleteApiToken(accountId: string, id: string): Promise<StoreResult<void>> {
    const changed = await this.db.run('DELETE FROM api_tokens WHERE id = ? AND account_id = ?', [
      id,
      accountId,
    ]);
    return changed > 0 ? done(undefined) : refuse('NotFound', 'There is no such API token.');
  }

  // Join codes and devices.

  /**
   * A join code for `networkId`, which the account must own or have been shared (NotFound
   * otherwise); null makes a code that joins devices to the account only (tools and tests).
   */
  async createJoinCode(
    accountId: string,
    label: string,
    codeHash: string,
    networkId: string | null = null,
    now = Date.now(),
  ): Promise<StoreResult<JoinCodeRecord>> {
    const network = networkId === null ? undefined : await this.network(accountId, networkId);
    if (networkId !== null && !network) return refuse('NotFound', 'There is no such network.');
    const id = randomUUID();
    await this.db.run(
      'INSERT INTO join_codes (id, account_id, code_hash, label, network_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [id, accountId, codeHash, label, networkId, now],
    );
    return done({
      id,
      label,
      createdAt: now,
      networkId,
      networkName: network?.name ?? null,
      revokedAt: null,
      devices: [],
    });
  }

  /** The account's codes, revoked ones too, oldest first, each with the devices that joined with it. */
  async joinCodes(accountId: string): Promise<JoinCodeRecord[]> {
    const rows = await this.db.all(
      `SELECT c.id, c.label, c.created_at, c.network_id, c.revoked_at, n.name AS network_name
       FROM join_codes c LEFT JOIN networks n ON n.id = c.network_id AND ${CODE_MAY_USE}
       WHERE c.account_id = ? ORDER BY c.created_at, c.id`,
      [accountId],
    );
    const joined = await this.db.all(
      `SELECT join_code_id, address, hostname FROM devices
       WHERE account_id = ? AND join_code_id IS NOT NULL ORDER BY hostname, address`,
      [accountId],
    );
    return rows.map((row) => ({
      id: text(row, 'id'),
      label: text(row, 'label'),
      createdAt: num(row, 'created_at'),
      networkId: row.network_id === null ? null : text(row, 'network_id'),
      networkName: row.network_name === null ? null : text(row, 'network_name'),
      revokedAt: row.revoked_at === null ? null : num(row, 'revoked_at'),
      devices: joined
        .filter((device) => text(device, 'join_code_id') === text(row, 'id'))
        .map((device) => ({ address: text(device, 'address'), hostname: text(device, 'hostname') })),
    }));
  }

  /** From now on the code joins nothing; the record stays, so the dashboard still shows who used it. */
  async revokeJoinCode(accountId: string, id: string, now = Date.now()): Promise<StoreResult<void>> {
    const changed = await this.db.run(
      'UPDATE join_codes SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND account_id = ?',
      [now, id, accountId],
    );
    return changed > 0 ? done(undefined) : refuse('NotFound', 'There is no such join code.');
  }

  /**
   * What a code grants, if it still works: not revoked, and its network (if it has one) still
   * usable by the account that made it. Unknown and dead codes are told apart by no one.
   */
  async joinGrant(codeHash: string): Promise<JoinGrant | undefined> {
    const [row] = await this.db.all(
      `SELECT c.id, c.account_id, c.network_id FROM join_codes c
       WHERE c.code_hash = ? AND c.revoked_at IS NULL AND (c.network_id IS NULL OR EXISTS (
         SELECT 1 FROM networks n WHERE n.id = c.network_id AND ${CODE_MAY_USE}))`,
      [codeHash],
    );
    return (
      row && {
        accountId: text(row, 'account_id'),
        codeId: text(row, 'id'),
        networkId: row.network_id === null ? null : text(row, 'network_id'),
      }
    );
  }

  /**
   * Records a device that joined with a code (`to`; a bare account id is for tools and tests) and
   * puts it in the code's network at once. A device that joins again keeps its networks if the
   * account is the same; moving to another account takes it out of them all. Once a device has
   * signed a join, an unsigned one in its name is refused (Forbidden): only a local forger on that
   * device would send one. The name it asks for is made a device name (`nameFromRequest`) and, if
   * another device of the account or a device that would see it has it already, numbered
   * (`laptop-2`).
   */
  async claimDevice(
    contact: DeviceContact,
    to: string | JoinGrant,
    proof: JoinProofKind = 'unsigned',
    now = Date.now(),
  ): Promise<StoreResult<Device>> {
    const grant = typeof to === 'string' ? { accountId: to, codeId: null, networkId: null } : to;
    const { accountId } = grant;
    return this.namesChange(async (tx) => {
      const [signedBefore] = await tx.all('SELECT 1 AS found FROM signed_joins WHERE device_address = ?', [
        contact.address,
      ]);
      if (signedBefore && proof === 'unsigned')
        return refuse(
          'Forbidden',
          `Device ${contact.address} signs its joins, so an unsigned join in its name is refused.`,
        );
      if (!signedBefore && proof === 'signed')
        await tx.run(
          'INSERT INTO signed_joins (device_address, first_signed_at) VALUES (?, ?) ON CONFLICT (device_address) DO NOTHING',
          [contact.address, now],
        );
      const [existing] = await tx.all('SELECT account_id, secret FROM devices WHERE address = ?', [
        contact.address,
      ]);
      const moved = existing !== undefined && text(existing, 'account_id') !== accountId;
      if (moved) await tx.run('DELETE FROM network_devices WHERE device_address = ?', [contact.address]);
      // A new secret means the device started over: nothing pushed before is known to be there. The
      // same join repeated (devices send it every 5 s until answered) changes nothing.
      if (moved || (existing && text(existing, 'secret') !== contact.secret))
        await tx.run('DELETE FROM pushed_entries WHERE device_address = ?', [contact.address]);
      // Who sees the device's name: its networks' members, and the members of the code's network.
      const viewers =
        grant.networkId === null
          ? seeing(contact.address)
          : {
              sql: `SELECT device_address FROM network_devices WHERE network_id = ? UNION ${seeing(contact.address).sql}`,
              params: [grant.networkId, contact.address],
            };
      const before = await nameClashes(tx, viewers);
      const candidates = nameCandidates(nameFromRequest(contact.hostname), () => randomUUID().slice(0, 6));
      let name = candidates.next().value!;
      if (existing) {
        await tx.run(
          'UPDATE devices SET account_id = ?, hostname = ?, secret = ?, last_seen_at = ?, join_code_id = ? WHERE address = ?',
          [accountId, name, contact.secret, now, grant.codeId, contact.address],
        );
      } else {
        await tx.run(
          'INSERT INTO devices (address, account_id, hostname, secret, joined_at, last_seen_at, join_code_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [contact.address, accountId, name, contact.secret, now, now, grant.codeId],
        );
      }
      if (grant.networkId !== null)
        await tx.run(
          'INSERT INTO network_devices (network_id, device_address) VALUES (?, ?) ON CONFLICT (network_id, device_address) DO NOTHING',
          [grant.networkId, contact.address],
        );
      const first = name;
      while (
        (await accountHasName(tx, accountId, contact.address, name)) ||
        (await newClash(tx, viewers, before))
      ) {
        const next = candidates.next();
        if (next.done) throw new NameTaken(`No free name like "${first}" is left for ${contact.address}.`);
        name = next.value;
        await tx.run('UPDATE devices SET hostname = ? WHERE address = ?', [name, contact.address]);
      }
      const [row] = await tx.all('SELECT * FROM devices WHERE address = ?', [contact.address]);
      return done(deviceFrom(row!));
    });
  }

  async devices(accountId: string): Promise<Device[]> {
    const rows = await this.db.all('SELECT * FROM devices WHERE account_id = ? ORDER BY hostname', [
      accountId,
    ]);
    return rows.map(deviceFrom);
  }

  async deviceContact(address: string): Promise<DeviceContact | undefined> {
    const [row] = await this.db.all(
      'SELECT address, hostname, secret, websetup FROM devices WHERE address = ?',
      [address],
    );
    return (
      row && {
        address: text(row, 'address'),
        hostname: text(row, 'hostname'),
        secret: text(row, 'secret'),
        websetup: row.websetup === null ? null : text(row, 'websetup'),
      }
    );
  }

  /** Every device, or those `websetup` manages (its own and those no node has claimed yet). */
  async allDeviceAddresses(websetup?: string): Promise<string[]> {
    const rows =
      websetup === undefined
        ? await this.db.all('SELECT address FROM devices ORDER BY address')
        : await this.db.all(
            'SELECT address FROM devices WHERE websetup IS NULL OR websetup = ? ORDER BY address',
            [websetup],
          );
    return rows.map((row) => text(row, 'address'));
  }

  /**
   * The device asked `websetup`, so that node is the one it takes commands from (a device has one
   * websetup: PROTOCOL.md §7). True when this moved the device to it.
   */
  async manageDevice(address: string, websetup: string): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE devices SET websetup = ? WHERE address = ? AND (websetup IS NULL OR websetup <> ?)',
      [websetup, address, websetup],
    );
    return changed > 0;
  }

  async deviceSeen(address: string, now = Date.now()): Promise<void> {
    await this.db.run('UPDATE devices SET last_seen_at = ? WHERE address = ?', [now, address]);
  }

  /**
   * A device name is pushed into every peer's /etc/hosts: it must be a single label (BadName), no
   * other device of the account may have it, and no device that would see it may see another
   * device of that name already (Conflict).
   */
  async renameDevice(accountId: string, address: string, hostname: string): Promise<StoreResult<Device>> {
    const problem = deviceNameProblem(hostname);
    if (problem) return refuse('BadName', problem);
    return this.namesChange(async (tx) => {
      const viewers = seeing(address);
      const before = await nameClashes(tx, viewers);
      const changed = await tx.run('UPDATE devices SET hostname = ? WHERE address = ? AND account_id = ?', [
        hostname,
        address,
        accountId,
      ]);
      if (changed === 0) return refuse('NotFound', `You have no device ${address}.`);
      if (await accountHasName(tx, accountId, address, hostname))
        throw new NameTaken(
          `"${hostname}" is taken: another of your devices has that name. Choose another name.`,
        );
      if (await newClash(tx, viewers, before))
        throw new NameTaken(
          `"${hostname}" is taken: a device in a network with this one, or with one of its peers, already has that name. Choose another name.`,
        );
      const [row] = await tx.all('SELECT * FROM devices WHERE address = ?', [address]);
      return done(deviceFrom(row!));
    });
  }

  /** Runs a change of names or peers under the names lock; a NameTaken rolls it back into a Conflict. */
  private async namesChange<T>(work: (tx: SqlExecutor) => Promise<StoreResult<T>>): Promise<StoreResult<T>> {
    try {
      return await this.db.transaction(async (tx) => {
        await this.lockNames(tx);
        return work(tx);
      });
    } catch (error) {
      if (error instanceof NameTaken) return refuse('Conflict', error.message);
      throw error;
    }
  }

  async deleteDevice(accountId: string, address: string): Promise<StoreResult<void>> {
    const changed = await this.db.run('DELETE FROM devices WHERE address = ? AND account_id = ?', [
      address,
      accountId,
    ]);
    return changed > 0 ? done(undefined) : refuse('NotFound', `You have no device ${address}.`);
  }

  // Networks.

  async createNetwork(ownerId: string, name: string, now = Date.now()): Promise<NetworkDetail> {
    const id = randomUUID();
    await this.db.run('INSERT INTO networks (id, owner_id, name, created_at) VALUES (?, ?, ?, ?)', [
      id,
      ownerId,
      name,
      now,
    ]);
    return (await this.network(ownerId, id)) as NetworkDetail;
  }

  async networks(accountId: string): Promise<NetworkSummary[]> {
    const rows = await this.db.all(
      `SELECT n.id, n.name, n.owner_id, a.email AS owner_email,
        (SELECT COUNT(*) FROM network_devices d WHERE d.network_id = n.id) AS device_count
       FROM networks n JOIN accounts a ON a.id = n.owner_id
       WHERE ${ACCESSIBLE} ORDER BY n.name, n.id`,
      [accountId, accountId],
    );
    return rows.map((row) => ({
      id: text(row, 'id'),
      name: text(row, 'name'),
      ownerEmail: text(row, 'owner_email'),
      owned: text(row, 'owner_id') === accountId,
      deviceCount: num(row, 'device_count'),
    }));
  }

  async network(accountId: string, id: string): Promise<NetworkDetail | undefined> {
    const summary = (await this.networks(accountId)).find((n) => n.id === id);
    if (!summary) return undefined;
    const devices = await this.db.all(
      `SELECT d.address, d.hostname, a.email FROM network_devices nd
       JOIN devices d ON d.address = nd.device_address JOIN accounts a ON a.id = d.account_id
       WHERE nd.network_id = ? ORDER BY d.hostname, d.address`,
      [id],
    );
    const shares = await this.db.all(
      'SELECT a.email FROM network_shares s JOIN accounts a ON a.id = s.account_id WHERE s.network_id = ? ORDER BY a.email',
      [id],
    );
    return {
      ...summary,
      devices: devices.map((row) => ({
        address: text(row, 'address'),
        hostname: text(row, 'hostname'),
        ownerEmail: text(row, 'email'),
      })),
      sharedWith: shares.map((row) => text(row, 'email')),
    };
  }

  private async owned(accountId: string, networkId: string): Promise<StoreResult<NetworkSummary>> {
    const network = (await this.networks(accountId)).find((n) => n.id === networkId);
    if (!network) return refuse('NotFound', 'There is no such network.');
    if (!network.owned)
      return refuse('Forbidden', `Only ${network.ownerEmail}, who owns this network, may do that.`);
    return done(network);
  }

  async deleteNetwork(accountId: string, networkId: string): Promise<StoreResult<void>> {
    const owned = await this.owned(accountId, networkId);
    if (!owned.ok) return owned;
    await this.db.run('DELETE FROM networks WHERE id = ?', [networkId]);
    return done(undefined);
  }

  async shareNetwork(accountId: string, networkId: string, email: string): Promise<StoreResult<void>> {
    const owned = await this.owned(accountId, networkId);
    if (!owned.ok) return owned;
    const other = await this.credentials(email);
    if (!other) return refuse('NotFound', `There is no account for ${email}; ask them to sign up first.`);
    if (other.account.id === accountId) return refuse('Conflict', 'You own this network already.');
    try {
      await this.db.run('INSERT INTO network_shares (network_id, account_id) VALUES (?, ?)', [
        networkId,
        other.account.id,
      ]);
    } catch (error) {
      if (error instanceof SqlConflict)
        return refuse('Conflict', `The network is shared with ${email} already.`);
      throw error;
    }
    return done(undefined);
  }

  async unshareNetwork(accountId: string, networkId: string, email: string): Promise<StoreResult<void>> {
    const owned = await this.owned(accountId, networkId);
    if (!owned.ok) return owned;
    const changed = await this.db.run(
      'DELETE FROM network_shares WHERE network_id = ? AND account_id = (SELECT id FROM accounts WHERE email = ?)',
      [networkId, email.toLowerCase()],
    );
    return changed > 0 ? done(undefined) : refuse('NotFound', `The network is not shared with ${email}.`);
  }

  /**
   * Anyone with access to the network may add their own devices to it, unless a device would then
   * see two devices of one name (Conflict: the message says whom to rename).
   */
  async addToNetwork(accountId: string, networkId: string, address: string): Promise<StoreResult<void>> {
    if (!(await this.network(accountId, networkId))) return refuse('NotFound', 'There is no such network.');
    const [device] = await this.db.all('SELECT hostname FROM devices WHERE address = ? AND account_id = ?', [
      address,
      accountId,
    ]);
    if (!device)
      return refuse('NotFound', `You have no device ${address}; join it with one of your codes first.`);
    try {
      return await this.namesChange(async (tx) => {
        const viewers = {
          sql: 'SELECT device_address FROM network_devices WHERE network_id = ? UNION SELECT address FROM devices WHERE address = ?',
          params: [networkId, address],
        };
        const before = await nameClashes(tx, viewers);
        await tx.run('INSERT INTO network_devices (network_id, device_address) VALUES (?, ?)', [
          networkId,
          address,
        ]);
        const clash = await newClash(tx, viewers, before);
        if (clash)
          throw new NameTaken(
            `"${text(device, 'hostname')}" cannot join this network: device "${clash.viewerName}" would then see two devices called "${clash.name}". Rename one of them first.`,
          );
        return done(undefined);
      });
    } catch (error) {
      if (error instanceof SqlConflict) return refuse('Conflict', 'The device is in this network already.');
      throw error;
    }
  }

  /** Anyone with access may take a device out: sharing a network means trusting its members. */
  async removeFromNetwork(accountId: string, networkId: string, address: string): Promise<StoreResult<void>> {
    if (!(await this.network(accountId, networkId))) return refuse('NotFound', 'There is no such network.');
    const changed = await this.db.run(
      'DELETE FROM network_devices WHERE network_id = ? AND device_address = ?',
      [networkId, address],
    );
    return changed > 0 ? done(undefined) : refuse('NotFound', 'The device is not in this network.');
  }

  // Several servers on one database.

  /** Writes (or rewrites) a server's entry in the registry every license is issued from. */
  async registerServer(
    id: string,
    baseServers: readonly string[],
    websetup: string | null,
    now = Date.now(),
  ): Promise<void> {
    await this.db.run(
      `INSERT INTO servers (id, base_servers, websetup, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET base_servers = excluded.base_servers, websetup = excluded.websetup`,
      [id, baseServers.join(' '), websetup, now],
    );
  }

  /** The registered servers, first registered first: so every license lists the bases in one order. */
  async servers(): Promise<ServerRecord[]> {
    const rows = await this.db.all('SELECT * FROM servers ORDER BY registered_at, id');
    return rows.map((row) => ({
      id: text(row, 'id'),
      baseServers: text(row, 'base_servers').split(' ').filter(Boolean),
      websetup: row.websetup === null ? null : text(row, 'websetup'),
      registeredAt: num(row, 'registered_at'),
    }));
  }

  /**
   * The license public key of this database: the one recorded first, which is `publicKey` if none
   * was. Racing first servers agree on one.
   */
  async recordLicenseKey(publicKey: string, now = Date.now()): Promise<string> {
    await this.db.run(
      'INSERT INTO license_key (slot, public_key, recorded_at) VALUES (1, ?, ?) ON CONFLICT (slot) DO NOTHING',
      [publicKey, now],
    );
    return (await this.licenseKey())!;
  }

  async licenseKey(): Promise<string | undefined> {
    const [row] = await this.db.all('SELECT public_key FROM license_key');
    return row && text(row, 'public_key');
  }

  // What websetup pushes.

  /** The names of the networks a device is in, at most `limit`, for its init-response. */
  async networkNamesOf(address: string, limit: number): Promise<string[]> {
    const rows = await this.db.all(
      `SELECT n.name FROM network_devices nd JOIN networks n ON n.id = nd.network_id
       WHERE nd.device_address = ? ORDER BY n.name, n.id LIMIT ${Math.max(0, Math.floor(limit))}`,
      [address],
    );
    return rows.map((row) => text(row, 'name'));
  }

  /** Every device that shares at least one network with `address`, with its hostname. */
  async peersOf(address: string): Promise<{ address: string; hostname: string }[]> {
    const rows = await this.db.all(
      `SELECT DISTINCT d.address, d.hostname FROM network_devices mine
       JOIN network_devices theirs ON theirs.network_id = mine.network_id AND theirs.device_address <> mine.device_address
       JOIN devices d ON d.address = theirs.device_address
       WHERE mine.device_address = ? ORDER BY d.address`,
      [address],
    );
    return rows.map((row) => ({ address: text(row, 'address'), hostname: text(row, 'hostname') }));
  }

  async pushedEntries(address: string): Promise<string[]> {
    const rows = await this.db.all(
      'SELECT entry FROM pushed_entries WHERE device_address = ? ORDER BY entry',
      [address],
    );
    return rows.map((row) => text(row, 'entry'));
  }

  /**
   * Changes what the device is known to hold, in one step: `change` sees the entries recorded now
   * and names those to add and to drop. Nothing is recorded for a device deleted meanwhile.
   */
  async changePushed(
    address: string,
    change: (entries: readonly string[]) => { add?: readonly string[]; drop?: readonly string[] },
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rows = await tx.all('SELECT entry FROM pushed_entries WHERE device_address = ?', [address]);
      const { add = [], drop = [] } = change(rows.map((row) => text(row, 'entry')));
      for (const entry of new Set([...drop, ...add]))
        await tx.run('DELETE FROM pushed_entries WHERE device_address = ? AND entry = ?', [address, entry]);
      for (const entry of new Set(add))
        await tx.run(
          'INSERT INTO pushed_entries (device_address, entry) SELECT address, ? FROM devices WHERE address = ?',
          [entry, address],
        );
    });
  }
}
