// The reference row: WireGuard's userspace implementation, set up by hand the way wg-quick would,
// so it goes through a TUN device just as hnet does.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../e2e/lab/command.js';
import { ipBatch } from '../../e2e/lab/namespaces.js';
import type { Host, LabProcess } from '../../e2e/lab/index.js';
import type { HostPair } from './bench-lab.js';
import type { OverlayUnderTest, RunningOverlay } from './overlay-under-test.js';

/** hnet's TUN MTU, so both overlays carry the same packets per byte of payload. */
export const overlayMtu = 1350;
const listenPort = 51820;
const innerPrefix = 'fd00:77:9::';
const keepaliveSeconds = 25;
// wg talks to wireguard-go over a socket named for the interface under this directory, which
// every namespace shares: interface names must be unique across namespaces and concurrent runs.
const socketDir = '/var/run/wireguard';

interface WireguardEnd {
  readonly host: Host;
  readonly interfaceName: string;
  readonly innerAddress: string;
  readonly privateKey: string;
  readonly publicKey: string;
}

async function makeEnd(host: Host, index: number): Promise<WireguardEnd> {
  const privateKey = (await host.exec(['wg', 'genkey'])).stdout.trim();
  const publicKey = (await host.exec(['wg', 'pubkey'], { input: privateKey })).stdout.trim();
  return {
    host,
    interfaceName: `wg${randomBytes(4).toString('hex')}`,
    innerAddress: `${innerPrefix}${index + 1}`,
    privateKey,
    publicKey,
  };
}

async function waitForSocket(end: WireguardEnd, daemon: LabProcess): Promise<void> {
  const socket = `${socketDir}/${end.interfaceName}.sock`;
  const deadline = performance.now() + 10_000;
  while (!existsSync(socket)) {
    if (!daemon.running || performance.now() > deadline)
      throw new Error(`wireguard-go on ${end.host.name} did not open ${socket}:\n${daemon.stderr.trim()}`);
    await sleep(5);
  }
}

/** Starts the userspace daemon in the foreground (so the lab tracks and stops it) and configures it. */
async function bringUp(end: WireguardEnd, peer: WireguardEnd, peerEndpoint: string): Promise<LabProcess> {
  const daemon = end.host.spawn(['wireguard-go', '--foreground', end.interfaceName], {
    env: { ...process.env, LOG_LEVEL: 'error' },
  });
  await waitForSocket(end, daemon);
  // wg reads the key from a file (never from its command line, which others can read); the
  // lab's stdin is a socket, which it cannot open, so the file is a private temporary one.
  const keyDir = await mkdtemp(join(tmpdir(), 'hnet-bench-wg-'));
  const keyFile = join(keyDir, 'private.key');
  await writeFile(keyFile, end.privateKey, { mode: 0o600 });
  try {
    await end.host.exec([
      'wg',
      'set',
      end.interfaceName,
      'listen-port',
      String(listenPort),
      'private-key',
      keyFile,
      'peer',
      peer.publicKey,
      'allowed-ips',
      `${peer.innerAddress}/128`,
      'endpoint',
      `${peerEndpoint}:${listenPort}`,
      'persistent-keepalive',
      String(keepaliveSeconds),
    ]);
  } finally {
    await rm(keyDir, { recursive: true, force: true });
  }
  await ipBatch(end.host.namespace, [
    `address add ${end.innerAddress}/64 dev ${end.interfaceName}`,
    `link set ${end.interfaceName} mtu ${overlayMtu} up`,
  ]);
  return daemon;
}

async function start(pair: HostPair): Promise<RunningOverlay> {
  const [a, b] = await Promise.all([makeEnd(pair.a, 0), makeEnd(pair.b, 1)]);
  const daemons = await Promise.all([
    bringUp(a, b, pair.endpointOf(pair.b)),
    bringUp(b, a, pair.endpointOf(pair.a)),
  ]);
  const inner = new Map([a, b].map((end) => [end.host, end.innerAddress]));
  return {
    addressOf: (host) => {
      const address = inner.get(host);
      if (address === undefined) throw new Error(`wireguard-go does not run on ${host.name}`);
      return address;
    },
    stop: async () => {
      await Promise.all(daemons.map((daemon) => daemon.stop()));
    },
  };
}

/** The command's `--version` output, or undefined when it is not installed. */
const versionOf = (command: string): Promise<string | undefined> =>
  runCommand([command, '--version']).then(
    (run) => run.stdout,
    () => undefined,
  );

async function version(): Promise<string> {
  const [daemon, tools] = await Promise.all([versionOf('wireguard-go'), versionOf('wg')]);
  if (daemon === undefined || tools === undefined)
    throw new Error(
      'the wireguard-go reference row needs wireguard-go and wg: apt-get install wireguard-go wireguard-tools',
    );
  return /v[\d.]+/.exec(daemon)?.[0] ?? 'unknown version';
}

/** Needs the Debian packages wireguard-go and wireguard-tools. */
export async function wireguardGo(): Promise<OverlayUnderTest> {
  return {
    name: `wireguard-go ${await version()}`,
    runs: 'the Debian package, set up with wg and ip as wg-quick would (keys made inside the timing)',
    start,
  };
}
