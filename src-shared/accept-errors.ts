// A listening socket's accept fails when the process is out of file descriptors (EMFILE, or ENFILE
// for the whole machine). libuv first accepts and closes the waiting connections with a spare fd it
// keeps for this, silently; only when that spare is gone too does Node emit 'error' on the server —
// fatal without a listener, and emitted again at once, without the event loop ever turning, for as
// long as accept fails. So: log once per episode, and on a burst give up one connection of ours
// (the caller picks the one that matters least) so that accept succeeds and the backlog drains;
// with nothing to give up, stop listening and let the caller decide whether to listen again.
//
// The engine's local listeners and the server stack's public ones both use it, so it depends on
// nothing but Node.
import type { Server } from 'node:net';

type LogFields = Record<string, string | number | undefined>;

/** The part of a logger this needs; the engine's logger is one. */
export interface AcceptLog {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Failures within one turn of the event loop that mean accept is failing in a loop. */
export const ACCEPT_FAILURE_BURST = 16;

export interface AcceptGuard {
  log: AcceptLog;
  /** Names the listener in log lines: `control`, `ui`, `dashboard`. */
  name: string;
  /** Closes the connection that matters least; false when there is none to close. */
  shed(): boolean;
  /** The server stopped listening because nothing could be shed. */
  stopped(): void;
}

/** Attach once the server listens: before that, 'error' means it could not listen at all. */
export function surviveAcceptErrors(server: Server, guard: AcceptGuard): void {
  const { log, name } = guard;
  let failed = 0;
  let burst = 0;
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (failed++ === 0)
      log.warn(`${name}-accept-failed`, {
        code: error.code,
        reason: error.message,
        advice:
          error.code === 'EMFILE' || error.code === 'ENFILE'
            ? 'out of file descriptors: new connections are dropped until some close (LimitNOFILE)'
            : undefined,
      });
    if (burst++ === 0) setImmediate(() => (burst = 0));
    if (burst < ACCEPT_FAILURE_BURST) return;
    burst = 0;
    if (guard.shed()) return;
    log.error(`${name}-stopped-listening`, {
      reason: 'accept keeps failing and no connection can be closed',
    });
    server.close();
    guard.stopped();
  });
  server.on('connection', () => {
    if (failed === 0) return;
    log.info(`${name}-accepting-again`, { failedAccepts: failed });
    failed = 0;
  });
}
