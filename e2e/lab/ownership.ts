import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { deleteNamespaces, listNamespaces, listPrivateEtc, removePrivateEtc } from './namespaces.js';

// Every lab leaves a marker naming its owner, so a later run can tell a crashed lab (owner dead)
// from one a concurrently running suite is still using (owner alive).
const markerDir = '/run/hnet-lab';

interface Owner {
  readonly pid: number;
  /** Boot-relative start time of the pid, so a recycled pid is not mistaken for the owner. */
  readonly startTime: string;
}

const prefixLength = 7;
const labNamespace = /^hn[0-9a-z]{5}-/;

/** `hn` and five base36 characters: short enough to leave room for names inside 15 characters. */
export function newLabPrefix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += randomInt(36).toString(36);
  return `hn${suffix}`;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name in parentheses may itself contain spaces, so count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function markerPath(prefix: string): string {
  return join(markerDir, `${prefix}.json`);
}

export function claimPrefix(prefix: string): void {
  mkdirSync(markerDir, { recursive: true });
  const owner: Owner = { pid: process.pid, startTime: startTimeOf(process.pid) ?? '' };
  writeFileSync(markerPath(prefix), JSON.stringify(owner), { flag: 'wx' });
}

export function releasePrefix(prefix: string): void {
  rmSync(markerPath(prefix), { force: true });
}

function ownerIsAlive(prefix: string): boolean {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(markerPath(prefix), 'utf8')) as Owner;
  } catch (error) {
    // No marker: /run was emptied by a reboot. Unreadable: being written right now, leave it.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  return startTimeOf(owner.pid) === owner.startTime;
}

/**
 * Deletes the namespaces of labs whose owning process has died (a crashed or SIGKILLed run) and
 * returns their names. Labs of live processes, including concurrent suites, are never touched.
 */
export async function sweepStaleLabs(): Promise<string[]> {
  let markers: string[];
  try {
    markers = readdirSync(markerDir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const marker of markers) {
    const prefix = marker.slice(0, -'.json'.length);
    if (ownerIsAlive(prefix)) continue;
    const names = listNamespaces(`${prefix}-`);
    await deleteNamespaces(names);
    releasePrefix(prefix);
    swept.push(...names);
  }
  // /etc survives reboots that empty /run: drop private /etc directories no live lab owns.
  removePrivateEtc(listPrivateEtc(labNamespace).filter((name) => !ownerIsAlive(name.slice(0, prefixLength))));
  return swept;
}
