// The helper's socket (Windows: its control pipe, pipe-server.ts): authorise each connection by
// what the OS says about the caller, read one request, run it, reply, close. An unauthorised
// caller gets a refusal before anything it sent is read.
import { once } from 'node:events';
import { closeSync } from 'node:fs';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { authorise, type CallerIdentity } from './authorise.js';
import type { HelperConfig } from './config.js';
import { loadNative, peerCredentials, socketFd } from './api/native.js';
import { HelperOperations } from './operations.js';
import { listenOnPipe } from './pipe-server.js';
import { encodeLine, MAX_REQUEST_BYTES, parseRequest, type HelperReply } from './api/protocol.js';

const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Calls in progress per caller and in all. Each call is one short connection, and the operations
 * queue behind one another anyway, so a caller with more open at once is only trying to crowd the
 * others out. Root is always served (connections beyond the total are refused to others only).
 */
const CONNECTIONS_PER_CALLER = 4;
const CONNECTIONS_IN_ALL = 64;

export interface HelperServer {
  close(): Promise<void>;
}

type Log = (event: string, fields: Record<string, unknown>) => void;

const defaultLog: Log = (event, fields) => console.log(JSON.stringify({ event, ...fields }));

/**
 * File permissions are the first gate (only these can connect), peer credentials the second.
 * Without a group, a single allowed uid owns the socket; config.ts refuses several uids and no group.
 */
function socketOwner(config: HelperConfig): { uid: number; gid: number; mode: number } {
  if (config.allowedGid !== undefined) return { uid: 0, gid: config.allowedGid, mode: 0o660 };
  const [only] = config.allowedUids;
  return { uid: only ?? 0, gid: 0, mode: 0o600 };
}

/** Reads up to the first newline; rejects when the caller sends too much or too slowly. */
function readRequestLine(socket: Socket): Promise<HelperReply<string>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (reply: HelperReply<string>): void => {
      socket.off('data', onData).off('end', onEnd);
      clearTimeout(timer);
      resolve(reply);
    };
    const onData = (chunk: Buffer): void => {
      const newline = chunk.indexOf(0x0a);
      chunks.push(newline < 0 ? chunk : chunk.subarray(0, newline));
      size += chunk.length;
      if (newline >= 0) finish({ ok: true, result: Buffer.concat(chunks).toString('utf8') });
      else if (size > MAX_REQUEST_BYTES)
        finish({
          ok: false,
          error: { kind: 'TooLarge', message: `a request may be at most ${MAX_REQUEST_BYTES} bytes` },
        });
    };
    const onEnd = (): void =>
      finish({ ok: false, error: { kind: 'BadRequest', message: 'the request did not end with a newline' } });
    const timer = setTimeout(
      () => finish({ ok: false, error: { kind: 'Timeout', message: 'no complete request within 10 s' } }),
      REQUEST_TIMEOUT_MS,
    );
    socket.on('data', onData).on('end', onEnd);
  });
}

/** Sends the reply with the fd on its first byte, then the helper's copy of the fd is closed. */
function replyWithFd(socket: Socket, reply: Buffer, fd: number): void {
  try {
    // Nothing else has been written on this connection, so our sendmsg cannot overtake queued data.
    const sent = loadNative().sendWithFd(socketFd(socket), reply, fd);
    socket.end(reply.subarray(sent));
  } finally {
    closeSync(fd);
  }
}

export async function startHelperServer(config: HelperConfig, log: Log = defaultLog): Promise<HelperServer> {
  const operations = new HelperOperations({ hostsFile: config.hostsFile, stateFile: config.stateFile });

  async function serve(socket: Socket, identity: CallerIdentity): Promise<void> {
    const decision = authorise(identity, config);
    if (!decision.ok) {
      const who = identity.kind === 'unix' ? identity.credentials : identity.client;
      log('refused', { pid: who.pid, ...('uid' in who ? { uid: who.uid } : { sid: who.sid }) });
      socket.end(encodeLine(decision));
      return;
    }
    const { caller } = decision;
    const line = await readRequestLine(socket);
    const request = line.ok ? parseRequest(line.result) : line;
    if (!request.ok) {
      log('bad-request', { ...caller, error: request.error.message });
      socket.end(encodeLine(request));
      return;
    }
    const outcome = await operations.run(request.result, caller);
    log(request.result.op, {
      ...caller,
      ...(outcome.ok ? { result: outcome.result } : { error: outcome.error.message }),
    });
    if (!outcome.ok) {
      socket.end(encodeLine(outcome));
      return;
    }
    const reply = encodeLine({ ok: true, result: outcome.result });
    if (outcome.fd === undefined) socket.end(reply);
    else if (socket.destroyed) closeSync(outcome.fd);
    else replyWithFd(socket, reply, outcome.fd);
  }

  const open = new ConnectionCount();

  function handle(socket: Socket, identity: CallerIdentity): void {
    socket.on('error', () => socket.destroy());
    const who = callerKey(identity);
    if (!open.admit(who, isRootCaller(identity))) {
      log('too-many-connections', { caller: who });
      socket.end(
        encodeLine({
          ok: false,
          error: { kind: 'Busy', message: 'too many calls to the hnet helper at once; try again' },
        }),
      );
      // Refused without waiting for the caller to read: a flood must not cost us descriptors.
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    socket.once('close', () => open.release(who));
    socket.setTimeout(REQUEST_TIMEOUT_MS * 3, () => socket.destroy());
    serve(socket, identity).catch((error: unknown) => {
      log('internal-error', { error: String(error) });
      socket.end(
        encodeLine({ ok: false, error: { kind: 'Internal', message: `helper error: ${String(error)}` } }),
      );
    });
  }

  if (process.platform === 'win32') return listenOnControlPipe(config, handle, log);

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    let identity: CallerIdentity;
    try {
      identity = { kind: 'unix', credentials: peerCredentials(socket) };
    } catch (error) {
      log('peer-unknown', { error: String(error) });
      socket.destroy();
      return;
    }
    handle(socket, identity);
  });
  // Accepting fails with EMFILE/ENFILE when descriptors run out; the kernel keeps the caller
  // queued and a later accept succeeds, so this is logged once per episode, never fatal.
  let acceptFailing = false;
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (!acceptFailing) log('accept-failed', { error: error.code ?? String(error) });
    acceptFailing = true;
  });
  server.on('connection', () => (acceptFailing = false));

  await mkdir(dirname(config.socketPath), { recursive: true, mode: 0o755 });
  await rm(config.socketPath, { force: true });
  // A restrictive umask while binding closes the window between bind() and chmod().
  const umask = process.umask(0o177);
  try {
    server.listen(config.socketPath);
    await once(server, 'listening');
  } finally {
    process.umask(umask);
  }
  const owner = socketOwner(config);
  await chown(config.socketPath, owner.uid, owner.gid);
  await chmod(config.socketPath, owner.mode);
  log('listening', { socket: config.socketPath, gid: config.allowedGid ?? null, uids: config.allowedUids });

  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

const callerKey = (identity: CallerIdentity): string =>
  identity.kind === 'unix' ? `uid ${identity.credentials.uid}` : identity.client.sid;

const isRootCaller = (identity: CallerIdentity): boolean =>
  identity.kind === 'unix' && identity.credentials.uid === 0;

/** Open connections per caller, with the limits above. */
class ConnectionCount {
  private readonly perCaller = new Map<string, number>();
  private total = 0;

  admit(caller: string, root: boolean): boolean {
    const mine = this.perCaller.get(caller) ?? 0;
    if (!root && (mine >= CONNECTIONS_PER_CALLER || this.total >= CONNECTIONS_IN_ALL)) return false;
    this.perCaller.set(caller, mine + 1);
    this.total++;
    return true;
  }

  release(caller: string): void {
    const mine = (this.perCaller.get(caller) ?? 1) - 1;
    if (mine > 0) this.perCaller.set(caller, mine);
    else this.perCaller.delete(caller);
    this.total--;
  }
}

function listenOnControlPipe(
  config: HelperConfig,
  handle: (socket: Socket, identity: CallerIdentity) => void,
  log: Log,
): HelperServer {
  const server = listenOnPipe({
    path: config.pipePath,
    allowedSids: config.allowedSids,
    onClient: (socket, client) => {
      // A pipe has no half-close: the client sees the end of the reply only when the handle closes.
      socket.on('finish', () => socket.destroy());
      handle(socket, { kind: 'pipe', client });
    },
    onError: (error) => log('accept-failed', { error: String(error) }),
  });
  log('listening', { pipe: config.pipePath, sids: config.allowedSids });
  return server;
}
