// How many file descriptors this process may hold. Each connection a listener admits costs one, so
// the base's cap is fitted to what is left (docs/decisions.md, "The server's public listeners under
// abuse"): a cap the process cannot hold only ends in EMFILE for every other part of it.
import { readFileSync } from 'node:fs';
import type { BaseServerConfig } from './base/config.js';
import { STATUS_LIMITS } from './base/status-http.js';

/**
 * Descriptors the stack uses besides its listeners' connections: an idle stack holds about 35 (the
 * database, websetup's sockets, libuv's own); the rest is room for journal files, lookups and logs.
 */
export const OWN_DESCRIPTORS = 128;

/**
 * The soft RLIMIT_NOFILE (Node raises it to the hard limit when it starts), from the text of
 * /proc/self/limits; undefined where that is not there to read, or says "unlimited".
 */
export function openFileLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/**
 * The base's settings with maxConnections lowered to the `openFiles` left once the process's own,
 * its metrics port's and `otherConnections` (another listener in the same process) are counted,
 * with a sentence saying so; unchanged when they fit or the limit is unknown.
 */
export function fitBaseToOpenFiles(
  config: BaseServerConfig,
  otherConnections: number,
  openFiles: number | undefined,
): { config: BaseServerConfig; warning: string | undefined } {
  const others = OWN_DESCRIPTORS + (config.metrics ? STATUS_LIMITS.total : 0) + otherConnections;
  const wanted = config.limits.maxConnections;
  if (openFiles === undefined || wanted + others <= openFiles) return { config, warning: undefined };
  const maxConnections = Math.max(1, openFiles - others);
  return {
    config: { ...config, limits: { ...config.limits, maxConnections } },
    warning: `the open-file limit of ${openFiles} holds ${maxConnections} base connections, not ${wanted}: raise it (LimitNOFILE=, ulimit -n) to ${wanted + others} for all of them`,
  };
}
