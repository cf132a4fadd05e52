// Configuring the TUN device once it exists: IPv6 on, address <addr>/16, MTU, routes, link up.
//
// We run iproute2's `ip` (absolute path, no shell, empty environment) rather than speaking
// rtnetlink ourselves: it is present wherever TUN is, it is the tool admins use to check the
// result, and it keeps a netlink message encoder out of a root process. All commands for one
// device go to a single `ip -batch -` on stdin: one fork/exec instead of five, paid each time
// the device is opened. Arguments are validated before they get here (protocol.ts) and are never
// options: names are [a-z0-9], addresses are canonical hex; runIpBatch checks each word again,
// since a space or newline in one would split a batch line into other commands.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { win32 } from 'node:path';

export const OVERLAY_PREFIX = 'fc94::/16';
/** The overlay's multicast range (PROTOCOL.md); sent through the TUN like unicast. */
export const MULTICAST_PREFIX = 'ff15:f2d3:a389::/48';

export interface TunSettings {
  name: string;
  address: string;
  mtu: number;
  /** Whether this device carries fc94::/16 and the overlay's multicast (one device at a time does). */
  overlayRoute: boolean;
}

const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];

async function findIp(): Promise<string> {
  for (const candidate of IP_CANDIDATES) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      continue;
    }
  }
  throw new Error('iproute2 is not installed (no "ip" command); install the iproute2 package');
}

const COMMAND_TIMEOUT_MS = 10_000;

function run(command: string, argv: readonly string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, argv, { env, timeout: COMMAND_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} ${argv.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** What `ip -batch` may safely read as one word: no blanks, quotes, comment signs or line breaks. */
const BATCH_WORD = /^[A-Za-z0-9][A-Za-z0-9.:/_-]*$/;
/** `ip -batch` stops at the first command that fails and names its line last: "Command failed -:3". */
const FAILED_LINE = /^Command failed -:(\d+)$/m;

/**
 * Runs `commands` (argv arrays without `ip` itself) in one `ip -6 -batch -`, in order, stopping
 * at the first that fails; the error names that command and quotes what `ip` said about it, as
 * if it had been run alone.
 */
export async function runIpBatch(commands: readonly (readonly string[])[]): Promise<void> {
  const unsafe = commands.flat().find((word) => !BATCH_WORD.test(word));
  if (unsafe !== undefined) throw new Error(`refusing to pass ${JSON.stringify(unsafe)} to ip -batch`);
  const ip = await findIp();
  const named = (argv: readonly string[]): string => `${ip} -6 ${argv.join(' ')}`;
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      ip,
      ['-6', '-batch', '-'],
      { env: {}, timeout: COMMAND_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const failed = FAILED_LINE.exec(stderr);
        const argv = failed ? commands[Number(failed[1]) - 1] : undefined;
        // ip exits at once, without a line number, on an argument it cannot parse at all.
        const what = argv ? named(argv) : commands.map(named).join('; ');
        const said = (failed ? stderr.slice(0, failed.index) : stderr).trim();
        reject(new Error(`${what}: ${said || error.message}`));
      },
    );
    // If ip exits before reading everything, its exit status above says why; EPIPE adds nothing.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(commands.map((argv) => `${argv.join(' ')}\n`).join(''));
  });
}

const TX_QUEUE_PACKETS = 4096;

/** The `ip -6` commands, in order; exported so tests can read the plan without root. */
export function linuxPlan(settings: TunSettings): string[][] {
  const dev = ['dev', settings.name];
  const device = [
    // A TUN's default queue of 500 overflows in bursts while the engine's reader is scheduled late
    // on a busy machine; every overflow is a TCP retransmit inside the tunnel.
    ['link', 'set', ...dev, 'mtu', String(settings.mtu), 'txqueuelen', String(TX_QUEUE_PACKETS)],
    // nodad: the address is ours by construction (derived from our key), and DAD would keep it
    // "tentative" for a second, during which the engine cannot bind to it.
    ['addr', 'replace', `${settings.address}/16`, ...dev, 'nodad', 'noprefixroute'],
    // Routes need the link up (the kernel refuses a nexthop on a down device).
    ['link', 'set', ...dev, 'up'],
  ];
  if (!settings.overlayRoute) return device;
  return [
    ...device,
    ['route', 'replace', OVERLAY_PREFIX, ...dev],
    // The local table already has ff00::/8 on every interface; a longer prefix there wins.
    ['route', 'replace', 'multicast', MULTICAST_PREFIX, ...dev, 'table', 'local'],
  ];
}

async function configureLinux(settings: TunSettings): Promise<void> {
  // IPv6 may be disabled by default (sysctl net.ipv6.conf.default.disable_ipv6=1); the address
  // cannot be added until it is enabled on this device.
  await writeFile(`/proc/sys/net/ipv6/conf/${settings.name}/disable_ipv6`, '0');
  await runIpBatch(linuxPlan(settings));
}

// Untested: no macOS machine here. utun takes a point-to-point style configuration.
async function configureMac(settings: TunSettings): Promise<void> {
  const dev = settings.name;
  await run('/sbin/ifconfig', [
    dev,
    'inet6',
    settings.address,
    'prefixlen',
    settings.overlayRoute ? '16' : '128',
    'mtu',
    String(settings.mtu),
    'up',
  ]);
  if (!settings.overlayRoute) return;
  await run('/sbin/route', ['-q', '-n', 'add', '-inet6', OVERLAY_PREFIX, '-interface', dev]);
  await run('/sbin/route', ['-q', '-n', 'add', '-inet6', MULTICAST_PREFIX, '-interface', dev]);
}

// Untested: no Windows machine here. netsh rather than the IP Helper API for the reasons `ip` is
// used on Linux: in-box on every Windows, what admins use to check the result, and no further
// native code in a SYSTEM process; the cost is a few process starts when the device opens.
// store=active everywhere: nothing outlives the Wintun adapter, which vanishes with the session.
/** The `netsh` invocations, in order; exported so tests can read the plan on any OS. */
export function windowsPlan(settings: TunSettings): string[][] {
  const iface = `interface=${settings.name}`;
  const device = [
    // dadtransmits=0: as `nodad` on Linux, the address is ours by construction.
    [
      'interface',
      'ipv6',
      'set',
      'interface',
      settings.name,
      `mtu=${settings.mtu}`,
      'dadtransmits=0',
      'routerdiscovery=disabled',
      'store=active',
    ],
    // A /128 address plus an explicit /16 route, as `noprefixroute` plus a route on Linux:
    // netsh would otherwise add the /16 itself and the explicit route would fail as a duplicate.
    ['interface', 'ipv6', 'add', 'address', iface, `address=${settings.address}/128`, 'store=active'],
  ];
  if (!settings.overlayRoute) return device;
  return [
    ...device,
    ['interface', 'ipv6', 'add', 'route', `prefix=${OVERLAY_PREFIX}`, iface, 'store=active'],
    // Longer than the ff00::/8 route every interface has, so overlay multicast leaves through us.
    ['interface', 'ipv6', 'add', 'route', `prefix=${MULTICAST_PREFIX}`, iface, 'store=active'],
  ];
}

async function configureWindows(settings: TunSettings): Promise<void> {
  // The service's own environment, not the caller's; netsh needs SystemRoot to load its helpers.
  const systemRoot = process.env.SystemRoot ?? 'C:\\Windows';
  const netsh = win32.join(systemRoot, 'System32', 'netsh.exe');
  for (const argv of windowsPlan(settings)) await run(netsh, argv, { SystemRoot: systemRoot });
}

export async function configureTun(settings: TunSettings): Promise<void> {
  if (process.platform === 'linux') return configureLinux(settings);
  if (process.platform === 'darwin') return configureMac(settings);
  if (process.platform === 'win32') return configureWindows(settings);
  throw new Error(`configuring a TUN device is not implemented on ${process.platform}`);
}

/**
 * The kernel's index of the interface with this name, or undefined when there is none. Names are
 * reused (a device of ours that went away, then another VPN's of the same name); indexes are not,
 * so a device is recognised by both.
 */
export async function interfaceIndex(name: string): Promise<number | undefined> {
  try {
    return Number((await readFile(`/sys/class/net/${name}/ifindex`, 'utf8')).trim());
  } catch {
    return undefined;
  }
}

/** Deletes the device if it is still the one with this index; false when it was already gone. */
export async function deleteTun(name: string, ifindex: number): Promise<boolean> {
  if (process.platform !== 'linux') throw new Error(`closeTun is not implemented on ${process.platform}`);
  if ((await interfaceIndex(name)) !== ifindex) return false;
  await run(await findIp(), ['link', 'delete', 'dev', name]);
  return true;
}

/** Whether an interface of this name exists, ours or not. */
export const tunExistsNow = (name: string): boolean => existsSync(`/sys/class/net/${name}`);
