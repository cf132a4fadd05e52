// How processes sharing one database tell each other that something changed, at once rather than at
// the next periodic sweep: PostgreSQL's LISTEN/NOTIFY (no new moving part: the database every
// server already has), or, for SQLite's single process, a plain in-process fan-out. What is
// notified is also in the database, so a missed notification costs only time: after a lost
// connection every listener hears `undefined` and should look at everything again.
import pg from 'pg';

export interface ChangeChannel {
  /** To every listener of `channel`, this process's included. */
  notify(channel: string, payload: string): Promise<void>;
  /** `heard(undefined)`: the link was lost and is back; notifications may have been missed meanwhile. */
  listen(channel: string, heard: (payload: string | undefined) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** PostgreSQL's limit is 8000 bytes; callers split longer news (see `notifyEach`). */
export const MAX_NOTIFY_PAYLOAD = 7_900;
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const FIRST_RECONNECT_MS = 500;
const MAX_RECONNECT_MS = 10_000;

type Heard = (payload: string | undefined) => void;

function checkChannel(channel: string): void {
  // LISTEN takes an identifier, not a parameter: only plain names are accepted.
  if (!CHANNEL_NAME.test(channel)) throw new Error(`"${channel}" is not a channel name (a-z, 0-9, _)`);
}

/** Listeners by channel, shared by both kinds. */
class Listeners {
  private readonly byChannel = new Map<string, Set<Heard>>();

  add(channel: string, heard: Heard): { first: boolean; remove: () => boolean } {
    let set = this.byChannel.get(channel);
    const first = !set;
    if (!set) this.byChannel.set(channel, (set = new Set()));
    const entry = (payload: string | undefined) => heard(payload);
    set.add(entry);
    return {
      first,
      remove: () => {
        set.delete(entry);
        if (set.size > 0) return false;
        this.byChannel.delete(channel);
        return true;
      },
    };
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  deliver(channel: string, payload: string | undefined): void {
    for (const heard of [...(this.byChannel.get(channel) ?? [])]) heard(payload);
  }
}

/** For SQLite: one process, so notifications stay in it. */
export function localChanges(): ChangeChannel {
  const listeners = new Listeners();
  return {
    // Async like PostgreSQL's: a bad name is a rejection, and no caller hears its own news at once.
    async notify(channel, payload) {
      checkChannel(channel);
      await Promise.resolve();
      listeners.deliver(channel, payload);
    },
    async listen(channel, heard) {
      checkChannel(channel);
      const { remove } = listeners.add(channel, heard);
      return () => void remove();
    },
    close: () => Promise.resolve(),
  };
}

/**
 * One connection kept for listening (reconnected with backoff while the database is away) and one
 * for notifying, both made on first use.
 */
export function postgresChanges(url: string, log: (line: string) => void = () => undefined): ChangeChannel {
  const listeners = new Listeners();
  const sender = new pg.Pool({ connectionString: url, max: 1 });
  // An idle connection losing its server must not crash the process; the next notify reconnects.
  sender.on('error', () => undefined);
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RECONNECT_MS;
  let closed = false;

  const connect = async (): Promise<pg.Client> => {
    const fresh = new pg.Client({ connectionString: url });
    fresh.on('notification', (message) => listeners.deliver(message.channel, message.payload ?? ''));
    fresh.on('error', (error) => lost(fresh, error));
    fresh.on('end', () => lost(fresh, new Error('the connection ended')));
    await fresh.connect();
    for (const channel of listeners.channels()) await fresh.query(`LISTEN ${channel}`);
    return fresh;
  };

  const link = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= connect().then(
      (made) => {
        connecting = undefined;
        if (closed) {
          void made.end().catch(() => undefined);
          throw new Error('the change channel is closed');
        }
        client = made;
        retryMs = FIRST_RECONNECT_MS;
        return made;
      },
      (error: unknown) => {
        connecting = undefined;
        throw error;
      },
    );
    return connecting;
  };

  const reconnect = (): void => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      link().then(
        () => {
          log('change channel: reconnected to PostgreSQL');
          for (const channel of listeners.channels()) listeners.deliver(channel, undefined);
        },
        (error: unknown) => {
          log(`change channel: PostgreSQL unreachable (${(error as Error).message}); again in ${retryMs} ms`);
          retryMs = Math.min(retryMs * 2, MAX_RECONNECT_MS);
          reconnect();
        },
      );
    }, retryMs);
  };

  function lost(which: pg.Client, error: Error): void {
    if (client !== which) return;
    client = undefined;
    void which.end().catch(() => undefined);
    if (closed) return;
    log(`change channel: connection lost (${error.message}); reconnecting`);
    reconnect();
  }

  return {
    async notify(channel, payload) {
      checkChannel(channel);
      await sender.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async listen(channel, heard) {
      checkChannel(channel);
      const { first, remove } = listeners.add(channel, heard);
      try {
        const listening = await link();
        if (first) await listening.query(`LISTEN ${channel}`);
      } catch (error) {
        remove();
        throw error;
      }
      return () => {
        if (remove() && client) void client.query(`UNLISTEN ${channel}`).catch(() => undefined);
      };
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const open = client ?? (await connecting?.catch(() => undefined));
      client = undefined;
      await open?.end().catch(() => undefined);
      await sender.end();
    },
  };
}

/**
 * Sends `items` joined by spaces in as few notifications as fit PostgreSQL's payload limit, for
 * news like "these devices changed" (items must hold no space).
 */
export async function notifyEach(
  channel: ChangeChannel,
  name: string,
  items: Iterable<string>,
): Promise<void> {
  let batch: string[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item) + 1;
    if (bytes + size > MAX_NOTIFY_PAYLOAD && batch.length > 0) {
      await channel.notify(name, batch.join(' '));
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) await channel.notify(name, batch.join(' '));
}
