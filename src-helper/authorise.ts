// Who may call the helper, decided from what the OS says about the connected process: peer
// credentials on a Unix socket, the client's token on a Windows pipe. Pure, so the decision is
// tested on any OS; server.ts and pipe-server.ts supply the identities.
import type { Caller } from './caller.js';
import type { HelperConfig } from './config.js';
import type { PeerCredentials, PipeClientIdentity } from './api/native.js';
import { isPipeClientAllowed } from './pipe-security.js';
import type { HelperError } from './api/protocol.js';

export type CallerIdentity =
  { kind: 'unix'; credentials: PeerCredentials } | { kind: 'pipe'; client: PipeClientIdentity };

export type AuthorisationConfig = Pick<HelperConfig, 'allowedGid' | 'allowedUids' | 'allowedSids'>;

/**
 * Windows has no uid; the state file records (uid_t)-1, POSIX's "no user", for devices opened
 * through the pipe, and the SID travels in Caller.sid instead.
 */
export const NO_UID = 0xffffffff;

export type Authorisation = { ok: true; caller: Caller } | { ok: false; error: HelperError };

function unixAllowed(credentials: PeerCredentials, config: AuthorisationConfig): boolean {
  if (credentials.uid === 0 || config.allowedUids.includes(credentials.uid)) return true;
  const gid = config.allowedGid;
  return gid !== undefined && (credentials.gid === gid || credentials.groups.includes(gid));
}

function unixRefusal(credentials: PeerCredentials, config: AuthorisationConfig): HelperError {
  const how =
    config.allowedGid === undefined
      ? `add uid ${credentials.uid} to "uids" in the helper's config (/etc/hnet/helper.json)`
      : `add the user to the hnet group (gid ${config.allowedGid}) and log in again`;
  return {
    kind: 'NotAuthorised',
    message: `the hnet helper refuses uid ${credentials.uid} (pid ${credentials.pid}): not allowed to manage the network; ${how}`,
  };
}

function pipeRefusal(client: PipeClientIdentity): HelperError {
  return {
    kind: 'NotAuthorised',
    message:
      `the hnet helper refuses ${client.sid} (pid ${client.pid}): not allowed to manage the network; ` +
      `add this SID, or a group the user belongs to, to "sids" in the helper's config and restart the helper, ` +
      `or run hnet as an administrator`,
  };
}

export function authorise(identity: CallerIdentity, config: AuthorisationConfig): Authorisation {
  if (identity.kind === 'unix') {
    const { credentials } = identity;
    return unixAllowed(credentials, config)
      ? { ok: true, caller: { pid: credentials.pid, uid: credentials.uid } }
      : { ok: false, error: unixRefusal(credentials, config) };
  }
  const { client } = identity;
  return isPipeClientAllowed(client, config.allowedSids)
    ? { ok: true, caller: { pid: client.pid, uid: NO_UID, sid: client.sid } }
    : { ok: false, error: pipeRefusal(client) };
}
