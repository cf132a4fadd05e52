// A public port must not go deaf for good when the process runs out of file descriptors: accept
// failing in a loop first gives up the connection the listener needs least (accept-errors.ts);
// with none to give up, the port closes and is listened on again every second until that works.
import type { Server } from 'node:net';
import { surviveAcceptErrors, type AcceptLog } from '../src-shared/accept-errors.js';

const RELISTEN_MS = 1_000;

export interface KeepListeningOptions {
  log: AcceptLog;
  /** Names the listener in log lines. */
  name: string;
  /** Where the server listens now: the real port, so a port 0 comes back as the same port. */
  host: string;
  port: number;
  /** Closes the connection that matters least; false when there is none. */
  shed(): boolean;
}

/** Attach once the server listens. Returns what stops the retries when the server is closed. */
export function keepListening(server: Server, options: KeepListeningOptions): () => void {
  let retry: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearInterval(retry);
    retry = undefined;
  };
  surviveAcceptErrors(server, {
    log: options.log,
    name: options.name,
    shed: options.shed,
    stopped: () => {
      if (retry) return;
      retry = setInterval(() => {
        if (server.listening) return stop();
        // A failure here is one more 'error', which the guard above logs once per episode.
        server.listen(options.port, options.host);
      }, RELISTEN_MS);
      retry.unref();
    },
  });
  server.on('listening', () => {
    if (retry) options.log.info(`${options.name}-listening-again`, { port: options.port });
    stop();
  });
  return stop;
}
