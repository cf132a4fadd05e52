// Who may use a Windows named pipe of the helper, in two gates like the Unix socket's file mode
// plus peer credentials: the pipe's DACL (only these can open it at all) and the identity of the
// connected process (native acceptPipeClient), checked again before anything is relayed.
import type { PipeClientIdentity } from './api/native.js';

/** LocalSystem and the built-in Administrators group: always allowed, as root is on Unix. */
export const SYSTEM_SID = 'S-1-5-18';
export const ADMINISTRATORS_SID = 'S-1-5-32-544';

const SID = /^S-1-\d{1,15}(-\d{1,10}){1,15}$/;

export const isSid = (value: string): boolean => SID.test(value);

/**
 * The pipe's security descriptor in SDDL: protected (no inherited entries), full access for
 * SYSTEM and Administrators, read/write for each allowed user or group SID. Nothing for anyone
 * else: the default pipe DACL would let Everyone open it for reading.
 */
export function pipeSecurityDescriptor(allowedSids: readonly string[]): string {
  for (const sid of allowedSids) if (!isSid(sid)) throw new RangeError(`${JSON.stringify(sid)} is not a SID`);
  const entries = [`(A;;GA;;;${SYSTEM_SID})`, `(A;;GA;;;${ADMINISTRATORS_SID})`];
  for (const sid of new Set(allowedSids)) entries.push(`(A;;GRGW;;;${sid})`);
  return `D:P${entries.join('')}`;
}

/**
 * Whether the connected process may use the pipe: SYSTEM, an elevated administrator, or an
 * allowed user or group; `expectedPid`, when given, must match too (the data pipe belongs to the
 * one engine that asked for it).
 */
export function isPipeClientAllowed(
  client: PipeClientIdentity,
  allowedSids: readonly string[],
  expectedPid?: number,
): boolean {
  if (expectedPid !== undefined && client.pid !== expectedPid) return false;
  const allowed = new Set([SYSTEM_SID, ADMINISTRATORS_SID, ...allowedSids]);
  return allowed.has(client.sid) || client.groups.some((group) => allowed.has(group));
}
