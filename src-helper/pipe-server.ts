// Windows: the helper's control pipe, the counterpart of the Unix socket server. Node's
// net.Server cannot be used: libuv creates pipes with the default security descriptor (Everyone
// may open them for reading) and never says who connected. So the addon creates each instance
// under our DACL and reports the client's token (acceptPipeClient), and the connected handle is
// handed to Node as an fd of node.exe's C runtime (the addon uses libuv's uv_open_osfhandle; its
// own static CRT would number fds in another table): new net.Socket({ fd }) makes uv_pipe_open
// take the handle back (_get_osfhandle), associate it with libuv's completion port (the handle is
// overlapped), and close it when the socket is destroyed.
//
// There is always one instance of ours waiting: the next is created, joining the pipe, before the
// accepted one is handed on, so the name is never free for someone else to claim. Only the very
// first instance (or one after an error left none open) claims the name with FIRST_PIPE_INSTANCE,
// which fails when somebody else already holds it. The waiting instance occupies one libuv
// threadpool thread for as long as nobody connects.
//
// UNTESTED on Windows (no machine here); compiled and type-checked only.
import { closeSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { loadNative, type PipeClientIdentity, type PipeInstance } from './api/native.js';
import { pipeSecurityDescriptor } from './pipe-security.js';

type Accepted = { fd: number } & PipeClientIdentity;

export interface PipeServer {
  close(): Promise<void>;
}

export interface PipeServerOptions {
  path: string;
  /** Besides SYSTEM and Administrators, who may open the pipe at all (its DACL). */
  allowedSids: readonly string[];
  onClient(socket: Socket, client: PipeClientIdentity): void;
  onError(error: unknown): void;
}

/** Creates the first instance (throws when the name is taken), then accepts until close(). */
export function listenOnPipe(options: PipeServerOptions): PipeServer {
  const sddl = pipeSecurityDescriptor(options.allowedSids);
  const accept = (instance: PipeInstance): Promise<Accepted> =>
    loadNative().acceptPipeClient(options.path, sddl, 0, instance);

  let closing = false;
  /** Accepted instances not yet closed: each keeps the pipe, and so its name, ours. */
  let connected = 0;
  let pending = accept('first');

  async function loop(): Promise<void> {
    for (;;) {
      let accepted: Accepted;
      try {
        accepted = await pending;
      } catch (error) {
        if (closing) return;
        // The failed instance is gone. While a connection of ours is open the pipe is still ours
        // to join; with none, the name is free and must be claimed afresh.
        options.onError(error);
        pending = accept(connected > 0 ? 'another' : 'first');
        continue;
      }
      if (closing) {
        closeSync(accepted.fd);
        return;
      }
      const socket = new Socket({ fd: accepted.fd, readable: true, writable: true, allowHalfOpen: true });
      connected++;
      socket.on('close', () => connected--);
      try {
        pending = accept('another');
      } catch (error) {
        socket.destroy();
        throw error;
      }
      options.onClient(socket, accepted);
    }
  }

  // Only creating an instance throws here: nothing listens any more, which the log must say.
  const stopped = loop().catch((error: unknown) =>
    options.onError(new Error(`stopped listening on ${options.path}: ${String(error)}`, { cause: error })),
  );

  return {
    async close(): Promise<void> {
      closing = true;
      // The waiting instance blocks a threadpool thread until someone connects: be that someone.
      const wake = connect(options.path);
      wake.on('error', () => undefined);
      wake.on('connect', () => wake.destroy());
      await stopped;
      wake.destroy();
    },
  };
}
