// Unprivileged users for lab processes. Numbers only, with no /etc/passwd entry, so a CI machine
// runs the lab without useradd; processes run as them through setpriv (NetNode's `user` option).
import { chownSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LabUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups; none when absent. */
  readonly groups?: readonly number[];
}

/** The group the root helper admits. */
export const HELPER_GROUP = 64200;
/** hnetd runs as this user: a member of the helper's group and nothing more. */
export const ENGINE_USER: LabUser = { uid: 64201, gid: 64201, groups: [HELPER_GROUP] };
/** Any local user of the machine. */
export const LOCAL_USER: LabUser = { uid: 64202, gid: 64202 };
/** Another member of the helper's group, e.g. a second desktop user. */
export const GROUP_MEMBER: LabUser = { uid: 64203, gid: 64203, groups: [HELPER_GROUP] };

/**
 * argv, run as `user` with no capabilities left to gain or inherit. setpriv execs the command, so
 * the process keeps setpriv's pid.
 */
export function asUser(user: LabUser, argv: readonly string[]): string[] {
  const groups = user.groups?.length ? `--groups=${user.groups.join(',')}` : '--clear-groups';
  return [
    'setpriv',
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    groups,
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    ...argv,
  ];
}

/** A HOME the user owns (tools such as npm and tsx want one); made on first use. */
export function homeOf(user: LabUser): string {
  const home = join(tmpdir(), `hnet-lab-home-${user.uid}`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chownSync(home, user.uid, user.gid);
  return home;
}
