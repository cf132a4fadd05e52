// The engine's one management door: a local Unix socket (never TCP, so nothing off the machine and
// no web page can reach it). Anyone local may read; changing anything needs root or the user who
// runs the engine, judged by the kernel's peer credentials, never by a secret. Requests are
// bounded, checked against `controlCalls` and answered in order; a bad one gets an error line
// and the connection (and the server) carry on.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { peerCredentials, type PeerCredentials } from '../../../src-helper/api/native.js';
import {
  checkParams,
  controlCalls,
  isCallName,
  MAX_REQUEST_BYTES,
  requestSchema,
  type CallName,
  type ParamsOf,
  type ResultOf,
  type ServerMessage,
} from '../../contract/control-calls.js';
import type { Engine } from '../engine.js';
import { surviveAcceptErrors } from '../../../src-shared/accept-errors.js';
import { sayGoodbye } from '../../../src-shared/say-goodbye.js';
import { errorText, failure, success, type EngineError, type Outcome } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import type { StatusUpdate } from '../../contract/events.js';

// Connection caps (docs/decisions.md, "The local listeners under abuse"). Every uid but root and
// the owner shares one pool and may take only its share of it; root and the owner have seats of
// their own outside the pool, so no flood by other users can keep `hnet` out. The sum, 128, is
// what LimitNOFILE in hnetd.service is sized for, with MAX_PARTINGS below.
const SHARED_CONNECTIONS = 64;
const CONNECTIONS_PER_UID = 16;
const PRIVILEGED_CONNECTIONS_PER_UID = 32;
// Requests a client may pipeline before waiting for answers.
const MAX_QUEUED_REQUESTS = 32;
// A subscriber that stops reading is cut off instead of growing our memory.
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
// A connection with no request in flight and no subscription holds a seat for nothing: freed after
// this long. A request sent a byte at a time does not count as activity.
const IDLE_MS = 60_000;
// Connections refused at the door that may wait for their reader at once (sayGoodbye); beyond,
// a refusal closes at once (its reason may then be lost to a client that had already written).
const MAX_PARTINGS = 32;
// At most one line per this long says that connections are being refused, with how many.
const REFUSAL_LOG_GAP_MS = 10_000;
// Listening again after accept failed in a loop (out of file descriptors).
const RELISTEN_MS = 1_000;
const SOCKET_MODE = 0o666;
const SOCKET_DIR_MODE = 0o755;
/** A ping whose caller named no timeout waits this long for its reply. */
const DEFAULT_PING_TIMEOUT_MS = 2_000;

// A browser (or anything driven by a web page, e.g. DNS rebinding to a local proxy) always speaks
// HTTP first; our clients speak JSON lines, so an HTTP request line or header ends the connection.
const HTTP_REQUEST_LINE = /^(?:GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE) /;
const BROWSER_HEADER = /^(?:origin|referer|sec-fetch-[a-z]+|upgrade)\s*:/i;

export interface ControlServerOptions {
  socketPath: string;
  log: Logger;
  /** Who may change settings besides root; the engine's own user by default. */
  ownerUid?: number;
  /** How a connection's caller is identified; SO_PEERCRED through the native addon by default. */
  credentialsOf?: (socket: Socket) => PeerCredentials;
  /** How long a connection without a request in flight or a subscription is kept (tests shorten it). */
  idleMs?: number;
}

export interface ControlServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

interface Caller {
  credentials: PeerCredentials | undefined;
  mayWrite: boolean;
  subscribe(): void;
}

type Handlers = {
  [K in CallName]: (
    params: ParamsOf<K>,
    caller: Caller,
  ) => Outcome<ResultOf<K>> | Promise<Outcome<ResultOf<K>>>;
};

function handlersFor(engine: Engine): Handlers {
  return {
    status: () => success(engine.status()),
    subscribe: (_params, caller) => {
      caller.subscribe();
      return success({});
    },
    resolve: ({ host }) => engine.resolve(host),
    'whitelist.list': () => success(engine.whitelist.state),
    'whitelist.add': ({ address }) => engine.whitelist.add(address),
    'whitelist.remove': ({ address }) => engine.whitelist.remove(address),
    'whitelist.enable': () => engine.whitelist.setEnabled(true),
    'whitelist.disable': () => engine.whitelist.setEnabled(false),
    'hosts.list': () => success([...engine.hosts.entries]),
    'hosts.add': async (entry) => {
      const result = await engine.hosts.add(entry);
      return result.ok ? success([...result.value]) : result;
    },
    'hosts.remove': async ({ hostname }) => {
      const result = await engine.hosts.remove(hostname);
      return result.ok ? success([...result.value]) : result;
    },
    setupServer: ({ url, fingerprint }) => engine.setupServer(url, fingerprint),
    join: ({ code, hostname }) => engine.join(code, hostname),
    'network.leave': ({ websetup }) => engine.leave(websetup),
    'connection.set': ({ connection }) => engine.setConnection(connection),
    ping: ({ host, timeoutMs }) => engine.ping(host, timeoutMs ?? DEFAULT_PING_TIMEOUT_MS),
    netcheck: () => engine.netcheck(),
  };
}

export async function serveControlApi(
  engine: Engine,
  options: ControlServerOptions,
): Promise<Outcome<ControlServer>> {
  const { socketPath, log } = options;
  const ownerUid = options.ownerUid ?? process.getuid?.() ?? 0;
  const credentialsOf = options.credentialsOf ?? peerCredentials;
  const handlers = handlersFor(engine);
  const prepared = await prepareSocketPath(socketPath);
  if (!prepared.ok) return prepared;

  const idleMs = options.idleMs ?? IDLE_MS;
  const privileged = (uid: number | undefined): boolean => uid === 0 || uid === ownerUid;
  const seats = new Seats(privileged);
  const refusals = refusalLog(log);
  // Insertion order is age: the newest connection is the one given up first.
  const connections = new Map<Socket, number | undefined>();
  let closing = false;
  let partings = 0;

  const server: Server = createServer((socket) => {
    // Before anything is written: a peer that already left must not become an unhandled EPIPE.
    socket.on('error', () => socket.destroy());
    let credentials: PeerCredentials | undefined;
    try {
      credentials = credentialsOf(socket);
    } catch (error) {
      log.warn('control-credentials-unknown', { reason: errorText(error) });
    }
    const uid = credentials?.uid;
    const refusal = seats.take(uid);
    if (refusal) {
      refusals.note(uid, refusal);
      const text = line({ id: null, ok: false, error: { kind: 'TooLarge', message: refusal } });
      if (partings >= MAX_PARTINGS) {
        // A fresh connection's buffer always takes one line, so it still leaves before the close.
        socket.write(text);
        socket.destroy();
        return;
      }
      partings++;
      socket.once('close', () => partings--);
      sayGoodbye(socket, text);
      return;
    }
    connections.set(socket, uid);
    socket.on('close', () => {
      connections.delete(socket);
      seats.give(uid);
    });
    serveConnection(socket, credentials, { handlers, engine, log, ownerUid, idleMs });
  });

  const listening = await new Promise<Outcome<void>>((resolve) => {
    server.once('error', (error) =>
      resolve(failure('BadState', `cannot listen on control socket ${socketPath}: ${errorText(error)}`)),
    );
    server.listen(socketPath, () => resolve(success(undefined)));
  });
  if (!listening.ok) return listening;
  // Reading is open to every local user; writes are judged per caller below, not by file mode.
  await chmod(socketPath, SOCKET_MODE);
  log.info('control-listening', { socket: socketPath, ownerUid });

  surviveAcceptErrors(server, {
    log,
    name: 'control',
    shed: () => {
      const newest = [...connections].reverse().find(([, uid]) => !privileged(uid));
      newest?.[0].destroy();
      return newest !== undefined;
    },
    // The socket's directory is ours alone, so nobody can take the path in the meantime.
    stopped: () => {
      const retry = setInterval(() => {
        if (closing || server.listening) clearInterval(retry);
        else server.listen(socketPath);
      }, RELISTEN_MS);
    },
  });
  server.on('listening', () => {
    log.info('control-listening', { socket: socketPath, ownerUid, again: true });
    chmod(socketPath, SOCKET_MODE).catch((error: unknown) =>
      log.warn('control-socket-mode', { reason: errorText(error) }),
    );
  });

  return success({
    socketPath,
    close: async () => {
      closing = true;
      // Every connection goes now, subscribers and half-sent requests included: nothing a client
      // does may hold the engine's stop.
      for (const socket of connections.keys()) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(socketPath).catch(() => undefined);
    },
  });
}

/** Who holds which seats; `take` answers why not, or undefined when the seat is given. */
class Seats {
  private readonly held = new Map<number | undefined, number>();
  private shared = 0;

  constructor(private readonly privileged: (uid: number | undefined) => boolean) {}

  take(uid: number | undefined): string | undefined {
    const mine = this.held.get(uid) ?? 0;
    const privileged = this.privileged(uid);
    const limit = privileged ? PRIVILEGED_CONNECTIONS_PER_UID : CONNECTIONS_PER_UID;
    if (mine >= limit)
      return `too many control connections from uid ${uid ?? 'unknown'} (at most ${limit}); close some and retry`;
    if (!privileged && this.shared >= SHARED_CONNECTIONS)
      return `too many control connections from other users (at most ${SHARED_CONNECTIONS}); root and the user hnetd runs as are still served`;
    this.held.set(uid, mine + 1);
    if (!privileged) this.shared++;
    return undefined;
  }

  give(uid: number | undefined): void {
    const mine = (this.held.get(uid) ?? 0) - 1;
    if (mine > 0) this.held.set(uid, mine);
    else this.held.delete(uid);
    if (!this.privileged(uid)) this.shared--;
  }
}

/** A flood of refusals is one log line per interval, not one per connection. */
function refusalLog(log: Logger): { note(uid: number | undefined, reason: string): void } {
  let lastAt = -Infinity;
  let unlogged = 0;
  return {
    note(uid, reason) {
      unlogged++;
      const now = performance.now();
      if (now - lastAt < REFUSAL_LOG_GAP_MS) return;
      lastAt = now;
      log.warn('control-refused', { uid, reason, refusedSinceLastLine: unlogged });
      unlogged = 0;
    },
  };
}

/** Makes the socket's directory and clears a stale socket, but never steals a live one. */
async function prepareSocketPath(socketPath: string): Promise<Outcome<void>> {
  try {
    // Created readable by all when missing; an existing directory (shared with the root helper's
    // socket) keeps whatever mode its owner chose.
    await mkdir(dirname(socketPath), { recursive: true, mode: SOCKET_DIR_MODE });
  } catch (error) {
    return failure(
      'BadState',
      `cannot create ${dirname(socketPath)} for the control socket: ${errorText(error)}`,
    );
  }
  const existing = await lstat(socketPath).catch(() => undefined);
  if (!existing) return success(undefined);
  if (!existing.isSocket())
    return failure(
      'BadState',
      `${socketPath} exists and is not a socket; move it away or set HNET_CONTROL_SOCKET`,
    );
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) return failure('BadState', `another hnet engine is already serving on ${socketPath}`);
  await unlink(socketPath);
  return success(undefined);
}

const line = (message: ServerMessage): string => `${JSON.stringify(message)}\n`;

const tooLarge: EngineError = {
  kind: 'TooLarge',
  message: `a request may be at most ${MAX_REQUEST_BYTES} bytes`,
};

interface ConnectionContext {
  handlers: Handlers;
  engine: Engine;
  log: Logger;
  ownerUid: number;
  idleMs: number;
}

function serveConnection(
  socket: Socket,
  credentials: PeerCredentials | undefined,
  context: ConnectionContext,
): void {
  const { log } = context;
  const who = { pid: credentials?.pid, uid: credentials?.uid };
  let unsubscribe: (() => void) | undefined;
  let subscribed = false;
  let closed = false;
  let idle: NodeJS.Timeout | undefined;
  const caller: Caller = {
    credentials,
    mayWrite: credentials !== undefined && (credentials.uid === 0 || credentials.uid === context.ownerUid),
    // Deferred so the call's answer goes out before the first status event.
    subscribe: () => {
      subscribed = true;
      setImmediate(() => {
        if (closed || unsubscribe) return;
        unsubscribe = context.engine.subscribe((update) => sendStatus(update));
      });
    },
  };

  const send = (message: ServerMessage): void => {
    if (socket.destroyed) return;
    if (socket.writableLength > MAX_UNSENT_BYTES) {
      log.warn('control-client-too-slow', who);
      socket.destroy();
      return;
    }
    socket.write(line(message));
  };
  // A subscriber that reads slowly gets the newest status once it has caught up, never a queue of
  // stale ones: whatever a client does, its subscription holds at most one status here besides the
  // one being written.
  let held: StatusUpdate | undefined;
  let writing = false;
  const sendStatus = (update: StatusUpdate): void => {
    held = held ? mergeUpdates(held, update) : update;
    if (writing || socket.destroyed) return;
    const next = held;
    held = undefined;
    writing = true;
    socket.write(line({ event: 'status', update: next }), () => {
      writing = false;
      if (held) sendStatus(held);
    });
  };
  const cutOff = (text: string): void => {
    closed = true;
    clearTimeout(idle);
    sayGoodbye(socket, text);
  };
  const refuse = (error: EngineError): void => {
    log.warn('control-refused', { ...who, kind: error.kind, reason: error.message });
    cutOff(line({ id: null, ok: false, error }));
  };
  const rejectBrowser = (): void => {
    log.warn('control-refused', { ...who, kind: 'NotPermitted', reason: 'browser-like request' });
    cutOff(
      'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n' +
        'This is the hnet control socket; web pages may not use it.\n',
    );
  };
  const waitForRequest = (): void => {
    clearTimeout(idle);
    if (closed || subscribed) return;
    idle = setTimeout(() => {
      log.debug('control-idle-closed', who);
      cutOff(
        line({
          id: null,
          ok: false,
          error: { kind: 'Timeout', message: `no request for ${context.idleMs / 1000} s; connect again` },
        }),
      );
    }, context.idleMs);
  };

  let pending = '';
  let queued = 0;
  let chain: Promise<void> = Promise.resolve();
  socket.setEncoding('utf8');
  waitForRequest();
  socket.on('data', (chunk: string) => {
    if (closed) return;
    pending += chunk;
    if (HTTP_REQUEST_LINE.test(pending)) {
      rejectBrowser();
      return;
    }
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      if (text.trim() === '') continue;
      if (BROWSER_HEADER.test(text) || HTTP_REQUEST_LINE.test(text)) {
        rejectBrowser();
        return;
      }
      if (Buffer.byteLength(text) > MAX_REQUEST_BYTES) {
        refuse(tooLarge);
        return;
      }
      if (++queued > MAX_QUEUED_REQUESTS) {
        refuse({
          kind: 'TooLarge',
          message: `more than ${MAX_QUEUED_REQUESTS} requests waiting; wait for answers`,
        });
        return;
      }
      clearTimeout(idle);
      chain = chain.then(async () => {
        send(await answer(text, caller, context));
        if (--queued === 0) waitForRequest();
      });
    }
    if (Buffer.byteLength(pending) > MAX_REQUEST_BYTES) refuse(tooLarge);
  });
  socket.on('close', () => {
    closed = true;
    clearTimeout(idle);
    unsubscribe?.();
  });
}

/** One update standing for `older` then `newer`: the newer status, every section either changed. */
function mergeUpdates(older: StatusUpdate, newer: StatusUpdate): StatusUpdate {
  // An empty list marks a full snapshot (the first update), which the merged one still is.
  const full = older.changed.length === 0 || newer.changed.length === 0;
  return { status: newer.status, changed: full ? [] : [...new Set([...older.changed, ...newer.changed])] };
}

async function answer(text: string, caller: Caller, context: ConnectionContext): Promise<ServerMessage> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      id: null,
      ok: false,
      error: { kind: 'BadRequest', message: `malformed request: ${errorText(error)}` },
    };
  }
  const request = requestSchema(json, 'request');
  if (!request.ok)
    return {
      id: null,
      ok: false,
      error: { kind: 'BadRequest', message: `malformed request: ${request.error}` },
    };
  const { id, call } = request.value;
  if (!isCallName(call))
    return {
      id,
      ok: false,
      error: {
        kind: 'UnknownCall',
        message: `unknown call "${call}"; known calls: ${Object.keys(controlCalls).join(', ')}`,
      },
    };
  const params = checkParams(call, request.value.params);
  if (!params.ok) return { id, ok: false, error: { kind: 'BadParams', message: params.error } };
  if (controlCalls[call].needsWrite && !caller.mayWrite) {
    context.log.info('control-write-refused', {
      call,
      uid: caller.credentials?.uid,
      pid: caller.credentials?.pid,
    });
    return {
      id,
      ok: false,
      error: {
        kind: 'NotPermitted',
        message: `not permitted: changing settings needs root or the user who runs hnetd (uid ${context.ownerUid})`,
      },
    };
  }
  try {
    const handler = context.handlers[call] as (
      p: unknown,
      c: Caller,
    ) => Outcome<unknown> | Promise<Outcome<unknown>>;
    const outcome = await handler(params.value, caller);
    if (outcome.ok) {
      if (controlCalls[call].needsWrite)
        context.log.info('control-change', { call, uid: caller.credentials?.uid });
      return { id, ok: true, result: outcome.value };
    }
    return { id, ok: false, error: outcome.error };
  } catch (error) {
    context.log.error('control-call-failed', { call, reason: errorText(error) });
    return {
      id,
      ok: false,
      error: { kind: 'Internal', message: `hnetd failed while handling ${call}: ${errorText(error)}` },
    };
  }
}
