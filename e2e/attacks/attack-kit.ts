// What the attack tests share: the attacker's tools, run inside the lab as an unprivileged user;
// the dashboard's REST API as its owner uses it; and how to find and watch the real hnetd process
// (whatever wrapper starts it) from the outside, as root reading /proc.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Host, LabProcess, LabUser } from '../lab/index.js';

export const fixtures = 'e2e/attacks/fixtures';
// Python from the system: another user cannot reach an interpreter installed under /root.
const udp6 = ['/usr/bin/python3', `${fixtures}/udp6.py`];

/** Polls `check` every 100 ms until it is true or `ms` have passed; answers its last value. */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** One dashboard account, driven through the REST API from inside the server's namespace. */
export class Dashboard {
  private constructor(
    private readonly server: Host,
    private readonly token: string,
  ) {}

  /** The server's first account needs the setup token hnet-server printed; later ones do not. */
  static async signUp(server: Host, email: string, setupToken?: string): Promise<Dashboard> {
    const { stdout } = await server.runScript(`${fixtures}/dashboard.ts`, [
      'signup',
      'http://127.0.0.1',
      email,
      ...(setupToken === undefined ? [] : [setupToken]),
    ]);
    return new Dashboard(server, stdout.trim());
  }

  async request(method: string, path: string, body?: unknown): Promise<Answer> {
    const { stdout } = await this.server.runScript(`${fixtures}/dashboard.ts`, [
      'call',
      'http://127.0.0.1',
      this.token,
      method,
      path,
      body === undefined ? '' : JSON.stringify(body),
    ]);
    return JSON.parse(stdout) as Answer;
  }

  async joinCode(): Promise<string> {
    const created = await this.request('POST', '/api/join-codes', { label: 'attack test' });
    if (created.status !== 201) throw new Error(`creating a join code: ${JSON.stringify(created)}`);
    return (created.body as { joinCode: string }).joinCode;
  }

  /** The addresses of the devices this account sees. */
  async devices(): Promise<string[]> {
    const listed = await this.request('GET', '/api/devices');
    return (listed.body as { address: string }[]).map((device) => device.address);
  }
}

export interface Datagram {
  readonly from: string;
  readonly port: number;
  /** The payload, one character per byte. */
  readonly text: string;
}

/** A UDP socket an attacker holds, bound with IPV6_FREEBIND; it records every datagram it gets. */
export class HeldSocket {
  private constructor(readonly process: LabProcess) {}

  static async bind(host: Host, user: LabUser, address: string, port: number): Promise<HeldSocket> {
    const process = host.spawn([...udp6, 'listen', '--from', address, String(port)], { user });
    await process.waitForOutput(/^ready$/m);
    return new HeldSocket(process);
  }

  get received(): Datagram[] {
    return this.process.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Datagram);
  }
}

/** Sends each payload from one UDP socket, bound with IPV6_FREEBIND to `from` when given. */
export async function sendUdp(
  host: Host,
  user: LabUser,
  to: { readonly address: string; readonly port: number; readonly from?: string },
  payloads: readonly string[],
): Promise<void> {
  const from = to.from === undefined ? [] : ['--from', to.from];
  const encoded = payloads.map((payload) => Buffer.from(payload, 'latin1').toString('base64'));
  await host.exec([...udp6, 'send', ...from, to.address, String(to.port), ...encoded], { user });
}

async function parentOf(pid: string): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function runsHnetd(pid: number): Promise<boolean> {
  try {
    const exe = basename(await readlink(`/proc/${pid}/exe`));
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return exe.startsWith('node') && argv.some((arg) => /hnetd/.test(basename(arg)));
  } catch {
    return false;
  }
}

/**
 * The node process that runs hnetd in `daemon`'s process tree: `daemon` itself when every wrapper
 * (ip netns exec, setpriv) exec'd into it, else the deepest such descendant.
 */
export async function hnetdPid(daemon: LabProcess): Promise<number> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = await parentOf(entry);
    if (parent !== undefined) parents.set(Number(entry), parent);
  }
  const tree = [daemon.pid];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  let found: number | undefined;
  for (const pid of tree) if (await runsHnetd(pid)) found = pid;
  if (found === undefined) throw new Error(`no node process running hnetd under \`${daemon.command}\``);
  return found;
}

/**
 * One setting of hnetd's environment (HNET_STATE_DIR, HNET_CONTROL_SOCKET, HNET_HELPER_SOCKET…),
 * as root reads it from /proc: where the toolbox put the engine's files, whatever its layout.
 */
export async function engineSetting(daemon: LabProcess, name: string): Promise<string> {
  const environ = await readFile(`/proc/${await hnetdPid(daemon)}/environ`, 'utf8');
  const value = environ
    .split('\0')
    .find((entry) => entry.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  if (value === undefined) throw new Error(`hnetd was started without ${name}`);
  return value;
}

async function statusField(pid: number, field: string): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const value = new RegExp(`^${field}:[ \\t]*(.*)$`, 'm').exec(status)?.[1];
  if (value === undefined) throw new Error(`/proc/${pid}/status has no ${field}`);
  return value.trim();
}

/** The real, effective, saved and filesystem uids of a process. */
export async function uidsOf(pid: number): Promise<number[]> {
  return (await statusField(pid, 'Uid')).split(/\s+/).map(Number);
}

/**
 * Lowers a process's open-file limit, as its own user may: another user needs CAP_SYS_RESOURCE,
 * which root in a container often lacks.
 */
export async function limitOpenFiles(host: Host, pid: number, limit: number): Promise<void> {
  const [uid] = await uidsOf(pid);
  const [gid] = (await statusField(pid, 'Gid')).split(/\s+/).map(Number);
  await host.exec(['prlimit', `--pid=${pid}`, `--nofile=${limit}:${limit}`], {
    user: { uid: uid!, gid: gid! },
  });
}

export const openFdCount = async (pid: number): Promise<number> => (await readdir(`/proc/${pid}/fd`)).length;

/** A zombie, dead but not yet reaped, counts as gone. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    return !(await statusField(pid, 'State')).startsWith('Z');
  } catch {
    return false;
  }
}
