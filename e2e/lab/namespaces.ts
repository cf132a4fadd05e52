import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runCommandSync } from './command.js';

// `ip netns add` keeps one bind-mounted file per namespace here.
const netnsDir = '/run/netns';
// `ip netns exec` bind-mounts each file of /etc/netns/<name>/ over its namesake in /etc.
const etcDir = '/etc/netns';

export function listNamespaces(prefix: string): string[] {
  try {
    return readdirSync(netnsDir).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

/**
 * A fresh namespace with IPv6 on (the overlay runs IPv6 over TUN), without duplicate address
 * detection (a tentative link-local address would make the first ff02:: beacons fail), and with
 * loopback up.
 */
export async function createNamespace(name: string): Promise<void> {
  await runCommand(['ip', 'netns', 'add', name]);
  await runCommand([
    'ip',
    'netns',
    'exec',
    name,
    'sysctl',
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=0',
    'net.ipv6.conf.default.disable_ipv6=0',
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
  ]);
  await runCommand(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

/**
 * Gives the namespace its own /etc/hosts, seen by every command run through `ip netns exec`, so
 * a node writing host names never touches the machine's file or another node's. It is a bind
 * mount: rewrite it in place, since renaming a new file over it fails with EBUSY.
 */
export function givePrivateHostsFile(namespace: string, content: string): string {
  const dir = join(etcDir, namespace);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'hosts');
  writeFileSync(path, content);
  return path;
}

/**
 * Gives the namespace its own /etc/<dir>/ holding `files`, seen by every command run through
 * `ip netns exec` in place of the machine's /etc/<dir> (which must exist to be covered). Deleted
 * with the namespace. Returns the outside path of the directory.
 */
export function givePrivateEtcDir(
  namespace: string,
  dir: string,
  files: Readonly<Record<string, string>>,
): string {
  const path = join(etcDir, namespace, dir);
  mkdirSync(path, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  return path;
}

/** Namespace names that still have an /etc/netns directory, e.g. after a reboot emptied /run. */
export function listPrivateEtc(prefixPattern: RegExp): string[] {
  try {
    return readdirSync(etcDir).filter((name) => prefixPattern.test(name));
  } catch {
    return [];
  }
}

export function removePrivateEtc(names: readonly string[]): void {
  for (const name of names) rmSync(join(etcDir, name), { recursive: true, force: true });
}

/** Runs `ip` subcommands, one per line, inside a namespace in a single process. */
export async function ipBatch(namespace: string, lines: readonly string[]): Promise<void> {
  await runCommand(['ip', '-n', namespace, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

// A namespace whose processes still run is only unlinked by `ip netns del`, not freed, and its
// processes keep their sockets: kill them first.
function parsePids(listing: string): number[] {
  return listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited in the meantime.
    }
  }
}

export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  for (const name of names) {
    const listing = await runCommand(['ip', 'netns', 'pids', name], { allowFailure: true });
    killAll(parsePids(listing.stdout));
  }
  await runCommand(['ip', '-force', '-batch', '-'], {
    input: names.map((name) => `netns del ${name}`).join('\n') + '\n',
    allowFailure: true,
  });
  removePrivateEtc(names);
}

export function deleteNamespacesSync(names: readonly string[]): void {
  if (names.length === 0) return;
  for (const name of names) killAll(parsePids(runCommandSync(['ip', 'netns', 'pids', name])));
  runCommandSync(['ip', '-force', '-batch', '-'], names.map((name) => `netns del ${name}`).join('\n') + '\n');
  removePrivateEtc(names);
}
