// "Start at login" on Linux: an XDG autostart entry (freedesktop.org Desktop Application Autostart
// Specification) in the user's config folder. macOS and Windows use Electron's login items instead
// (main.ts).
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDirectory, writeFileAtomic } from '../../src-shared/atomic-file.js';

const ENTRY = 'hnet.desktop';

export function autostartFile(env: Record<string, string | undefined>): string {
  const config = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(config, 'autostart', ENTRY);
}

/** The entry's Exec line quotes each argument as the Desktop Entry spec requires. */
export function autostartEntry(command: readonly string[]): string {
  const quote = (arg: string) =>
    /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=hnet',
    'Comment=Peer-to-peer IPv6 overlay network',
    `Exec=${command.map(quote).join(' ')}`,
    'Icon=hnet',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export async function isAutostartOn(env: Record<string, string | undefined>): Promise<boolean> {
  try {
    return /\nX-GNOME-Autostart-enabled=true\n/.test(await readFile(autostartFile(env), 'utf8'));
  } catch {
    return false;
  }
}

/** `command` starts the app hidden in the tray, e.g. [appImagePath, '--hidden']. */
export async function setAutostart(
  on: boolean,
  command: readonly string[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const file = autostartFile(env);
  if (!on) return void (await rm(file, { force: true }));
  await ensureDirectory(dirname(file), 0o755);
  await writeFileAtomic(file, autostartEntry(command), 0o644);
}
