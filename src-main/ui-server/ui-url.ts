// Where the browser UI's address goes. Its token opens the UI, which acts with the engine's rights,
// so the whole address is never written where a log keeps it (hnetd's stdout goes to the journal
// under systemd): it goes into a file beside the control socket that only hnetd's user can read
// (`hnet ui` prints it), and onto stdout only when stdout is a terminal, i.e. the user watching.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorText } from '../contract/errors.js';
import type { Logger } from '../engine/client.js';
import { writeFileAtomic } from '../../src-shared/atomic-file.js';

const UI_URL_FILE = 'ui-url';
const OWNER_ONLY = 0o600;

/** The file holding the running UI's address, token included. */
export const uiUrlFile = (controlSocket: string): string => join(dirname(controlSocket), UI_URL_FILE);

export interface UiUrlOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Saves the address for `hnet ui` and prints it: whole to a terminal, without the token otherwise.
 * Resolves to the file, or undefined if it could not be written (said in the log and the line).
 */
export async function announceUiUrl(
  url: string,
  file: string,
  log: Logger,
  out: UiUrlOutput = process.stdout,
): Promise<string | undefined> {
  let saved: string | undefined = file;
  try {
    await writeFileAtomic(file, `${url}\n`, OWNER_ONLY);
  } catch (error) {
    log.warn('ui-url-unsaved', { file, reason: errorText(error) });
    saved = undefined;
  }
  const origin = `${new URL(url).origin}/`;
  const where = saved
    ? `its link, with the token, is in ${saved}, readable by this user only: "hnet ui" prints it`
    : `its link, with the token, could not be saved to ${file} (see the log)`;
  out.write(`hnet: the UI is at ${out.isTTY ? url : `${origin} (${where})`}\n`);
  return saved;
}

/** Removes the saved address once the UI has stopped, so `hnet ui` does not offer a dead link. */
export async function forgetUiUrl(file: string): Promise<void> {
  await rm(file, { force: true });
}
