// The browser UI's port and token, kept across hnetd restarts so that an open page reconnects by
// itself and the address `hnet ui` printed stays good. They live beside the control socket, in the
// runtime folder (/run/hnet under systemd: kept across restarts, gone at reboot), readable by
// hnetd's user only: the token acts with the engine's rights. A file anyone else could have read, or
// that does not parse, is not reused; the UI then starts with a fresh port and token.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorText } from '../contract/errors.js';
import type { Logger } from '../engine/client.js';
import { writeFileAtomic } from '../../src-shared/atomic-file.js';
import { integer, object, parsed, type Infer } from '../../src-shared/validate.js';

const UI_SESSION_FILE = 'ui-session.json';
const OWNER_ONLY = 0o600;

const sessionSchema = object({
  port: integer(1, 65535),
  // newToken()'s form: 32 random bytes, base64url.
  token: parsed('a 43-character token', (value) => (/^[\w-]{43}$/.test(value) ? value : undefined)),
});
export type UiSession = Infer<typeof sessionSchema>;

export const uiSessionFile = (controlSocket: string): string => join(dirname(controlSocket), UI_SESSION_FILE);

/** The session to reuse, or undefined (none yet, unreadable, damaged, or readable by others). */
export async function loadUiSession(file: string, log: Logger): Promise<UiSession | undefined> {
  try {
    if (((await stat(file)).mode & 0o077) !== 0) {
      log.warn('ui-session-not-reused', { file, reason: 'others could read it' });
      return undefined;
    }
    const checked = sessionSchema(JSON.parse(await readFile(file, 'utf8')), '');
    if (checked.ok) return checked.value;
    log.warn('ui-session-not-reused', { file, reason: checked.error });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('ui-session-not-reused', { file, reason: errorText(error) });
  }
  return undefined;
}

/** Saves the session; a failure only costs open pages their reconnection (said in the log). */
export async function saveUiSession(file: string, session: UiSession, log: Logger): Promise<void> {
  try {
    await writeFileAtomic(file, `${JSON.stringify(session)}\n`, OWNER_ONLY);
  } catch (error) {
    log.warn('ui-session-unsaved', {
      file,
      reason: `${errorText(error)}; open pages will not reconnect after a restart`,
    });
  }
}
