// The helper's socket: authorise each connection by its peer credentials, read one request, run
// it, reply, close. An unauthorised caller gets a refusal before anything it sent is read.
import { once } from 'node:events';
import { closeSync } from 'node:fs';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { HelperConfig } from './config.js';
import { loadNative, peerCredentials, socketFd, type PeerCredentials } from './native.js';
import { HelperOperations } from './operations.js';
import {
  encodeLine,
  MAX_REQUEST_BYTES,
  parseRequest,
  type HelperError,
  type HelperReply,
} from './protocol.js';

const REQUEST_TIMEOUT_MS = 10_000;

export interface HelperServer {
  close(): Promise<void>;
}

type Log = (event: string, fields: Record<string, unknown>) => void;

const defaultLog: Log = (event, fields) => console.log(JSON.stringify({ event, ...fields }));

function isAuthorised(
  credentials: PeerCredentials,
  config: Pick<HelperConfig, 'allowedGid' | 'allowedUids'>,
): boolean {
  if (credentials.uid === 0 || config.allowedUids.includes(credentials.uid)) return true;
  const gid = config.allowedGid;
  return gid !== undefined && (credentials.gid === gid || credentials.groups.includes(gid));
}

function refusal(credentials: PeerCredentials, config: HelperConfig): HelperError {
  const how =
    config.allowedGid === undefined
      ? `add uid ${credentials.uid} to "uids" in the helper's config (/etc/hnet/helper.json)`
      : `add the user to the hnet group (gid ${config.allowedGid}) and log in again`;
  return {
    kind: 'NotAuthorised',
    message: `the hnet helper refuses uid ${credentials.uid} (pid ${credentials.pid}): not allowed to manage the network; ${how}`,
  };
}

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

  async function serve(socket: Socket): Promise<void> {
    let credentials: PeerCredentials;
    try {
      credentials = peerCredentials(socket);
    } catch (error) {
      log('peer-unknown', { error: String(error) });
      socket.destroy();
      return;
    }
    const caller = { pid: credentials.pid, uid: credentials.uid };
    if (!isAuthorised(credentials, config)) {
      log('refused', caller);
      socket.end(encodeLine({ ok: false, error: refusal(credentials, config) }));
      return;
    }
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

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(REQUEST_TIMEOUT_MS * 3, () => socket.destroy());
    serve(socket).catch((error: unknown) => {
      log('internal-error', { error: String(error) });
      socket.end(
        encodeLine({ ok: false, error: { kind: 'Internal', message: `helper error: ${String(error)}` } }),
      );
    });
  });

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
