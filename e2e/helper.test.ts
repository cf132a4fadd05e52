// The root helper in a network namespace of its own: it creates and configures hnet0 for the key
// that proves it owns the address, hands the fd to the engine, refuses callers it does not know,
// serves each caller only its own device, and packets flow both ways through the fd.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NativeError } from '../src-helper/api/native.js';
import { HelperClient } from '../src-helper/api/helper-client.js';
import { formatAddress, parseIpv6 } from '../src-protocol/address.js';
import { initCrypto } from '../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../src-protocol/identity.js';
import { TunIo } from '../src-main/engine/io/tun-io.js';
import { Lab, type Host, type LabProcess } from './lab/index.js';

/** The engine's key, made afresh: the helper gives a device only the address a key owns. */
let identity: Identity;
let ADDRESS: string;
const PEER = 'fc94:aaaa:bbbb:cccc:dddd:eeee:ffff:1234';
const ALLOWED_GID = 4242;

function addressBytes(text: string): Uint8Array {
  return Uint8Array.from(
    text.split(':').flatMap((group) => [parseInt(group.slice(0, 2), 16), parseInt(group.slice(2), 16)]),
  );
}

const addressText = (bytes: Uint8Array): string =>
  Array.from({ length: 8 }, (_, i) =>
    ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16).padStart(4, '0'),
  ).join(':');

/** Internet checksum over the IPv6 pseudo-header and an upper-layer packet (UDP, ICMPv6). */
function upperChecksum(src: Uint8Array, dst: Uint8Array, nextHeader: number, upper: Uint8Array): number {
  const pseudo = new Uint8Array(40 + upper.length + (upper.length % 2));
  pseudo.set(src, 0);
  pseudo.set(dst, 16);
  new DataView(pseudo.buffer).setUint32(32, upper.length);
  pseudo[39] = nextHeader;
  pseudo.set(upper, 40);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += (pseudo[i]! << 8) | pseudo[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff || 0xffff;
}

function ipv6Packet(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  upper: Uint8Array,
  checksumAt: number,
): Uint8Array {
  const packet = new Uint8Array(40 + upper.length);
  const view = new DataView(packet.buffer);
  view.setUint32(0, 0x60000000);
  view.setUint16(4, upper.length);
  packet[6] = nextHeader;
  packet[7] = 64;
  packet.set(src, 8);
  packet.set(dst, 24);
  packet.set(upper, 40);
  view.setUint16(40 + checksumAt, 0);
  view.setUint16(40 + checksumAt, upperChecksum(src, dst, nextHeader, packet.subarray(40)));
  return packet;
}

function udpPacket(src: string, srcPort: number, dst: string, dstPort: number, payload: string): Uint8Array {
  const data = new TextEncoder().encode(payload);
  const udp = new Uint8Array(8 + data.length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, udp.length);
  udp.set(data, 8);
  return ipv6Packet(addressBytes(src), addressBytes(dst), 17, udp, 6);
}

interface EchoRequest {
  src: Uint8Array;
  dst: Uint8Array;
  identifier: number;
  sequence: number;
  icmp: Uint8Array;
}

/** An ICMPv6 echo request, or undefined for anything else (MLD, router solicitations…). */
function parseEchoRequest(packet: Uint8Array): EchoRequest | undefined {
  if (packet.length < 48 || packet[0]! >> 4 !== 6 || packet[6] !== 58 || packet[40] !== 128) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    src: packet.slice(8, 24),
    dst: packet.slice(24, 40),
    identifier: view.getUint16(44),
    sequence: view.getUint16(46),
    icmp: packet.slice(40),
  };
}

function echoReply(request: EchoRequest): Uint8Array {
  const icmp = request.icmp.slice();
  icmp[0] = 129;
  return ipv6Packet(request.dst, request.src, 58, icmp, 2);
}

describe('root helper in a namespace', () => {
  let lab: Lab;
  let host: Host;
  let helper: LabProcess;
  let dir: string;
  let socketPath: string;
  let client: HelperClient;

  before(async () => {
    await initCrypto();
    identity = generateIdentity();
    ADDRESS = formatAddress(identity.address);
    lab = await Lab.create();
    const lan = await lab.segment('lan');
    host = await lab.host('node', { on: lan });
    dir = await mkdtemp(join(tmpdir(), 'hnet-helper-'));
    // Traversable, so the "nobody" tests reach the socket's own permissions.
    await chmod(dir, 0o755);
    socketPath = join(dir, 'helper.sock');
    const config = join(dir, 'helper.json');
    await writeFile(
      config,
      JSON.stringify({
        group: ALLOWED_GID,
        socketPath,
        hostsFile: join(dir, 'hosts'),
        stateFile: join(dir, 'state.json'),
      }),
    );
    helper = host.spawnScript('src-helper/main.ts', ['--config', config]);
    await helper.waitForOutput(/"event":"listening"/);
    client = new HelperClient(socketPath);
  });

  after(async () => {
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ipJson = async (...argv: string[]): Promise<unknown> =>
    JSON.parse((await host.exec(['ip', '-j', ...argv])).stdout) as unknown;

  test('openTun creates hnet0 with the address /16, MTU 1350, the overlay and multicast routes, up', async () => {
    const tun = await client.openTun(identity, 1350);
    const io = new TunIo(tun.fd, { onPacket: () => undefined });
    try {
      const [link] = (await ipJson('link', 'show', 'dev', 'hnet0')) as {
        mtu: number;
        txqlen: number;
        flags: string[];
      }[];
      assert.equal(link?.mtu, 1350);
      assert.equal(link?.txqlen, 4096, 'a queue deep enough for bursts while the reader is scheduled late');
      assert.ok(link?.flags.includes('UP'), `hnet0 is not up: ${link?.flags.join(',')}`);
      const [addr] = (await ipJson('-6', 'addr', 'show', 'dev', 'hnet0', 'scope', 'global')) as {
        addr_info: { local?: string; prefixlen?: number }[];
      }[];
      assert.deepEqual(
        addr?.addr_info.filter((a) => a.local).map((a) => [formatAddress(parseIpv6(a.local!)!), a.prefixlen]),
        [[ADDRESS, 16]],
      );
      const routes = (await ipJson('-6', 'route', 'show', 'dev', 'hnet0')) as { dst: string }[];
      assert.ok(
        routes.some((r) => r.dst === 'fc94::/16'),
        JSON.stringify(routes),
      );
      const [multicast] = (await ipJson('-6', 'route', 'get', 'ff15:f2d3:a389::1')) as { dev: string }[];
      assert.equal(multicast?.dev, 'hnet0');
      const disabled = await host.exec(['cat', '/proc/sys/net/ipv6/conf/hnet0/disable_ipv6']);
      assert.equal(disabled.stdout.trim(), '0');
      const status = await client.status();
      assert.deepEqual(
        status.tuns.map((t) => [t.name, t.address, t.mtu, t.ownerUid, t.overlayRoute]),
        [['hnet0', ADDRESS, 1350, 0, true]],
      );
    } finally {
      assert.equal(await io.close(), null);
    }
  });

  test('a ping to an overlay address is read from the fd, and the reply written to it reaches ping', async () => {
    const tun = await client.openTun(identity, 1350);
    const seen: EchoRequest[] = [];
    const io = new TunIo(tun.fd, {
      onPacket: (packet) => {
        const request = parseEchoRequest(packet);
        if (!request) return;
        seen.push(request);
        io.write(echoReply(request));
      },
    });
    try {
      const ping = await host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', PEER]);
      assert.match(ping.stdout, /3 packets transmitted, 3 received/);
      assert.equal(seen.length, 3);
      assert.equal(addressText(seen[0]!.src), ADDRESS);
      assert.equal(addressText(seen[0]!.dst), PEER);
      assert.deepEqual(
        seen.map((r) => r.sequence),
        [1, 2, 3],
      );
      assert.equal(io.stats.packetsWritten, 3);
    } finally {
      await io.close();
    }
  });

  test('a UDP datagram written to the fd is delivered to a socket bound in the namespace', async () => {
    const tun = await client.openTun(identity, 1350);
    const io = new TunIo(tun.fd, { onPacket: () => undefined });
    const receiver = host.spawn([
      process.execPath,
      '-e',
      `const s = require('node:dgram').createSocket('udp6');
       s.on('message', (m, r) => { console.log(JSON.stringify({ text: m.toString(), from: r.address, port: r.port })); process.exit(0); });
       s.bind(7000, '${ADDRESS}', () => console.log('ready'));`,
    ]);
    try {
      await receiver.waitForOutput(/ready/);
      assert.ok(io.write(udpPacket(PEER, 5555, ADDRESS, 7000, 'through the fd')));
      const [line] = await receiver.waitForOutput(/\{.*\}/);
      assert.deepEqual(JSON.parse(line), { text: 'through the fd', from: PEER, port: 5555 });
    } finally {
      await receiver.stop();
      await io.close();
    }
  });

  test('closing the reader while a ping flood fills its queue stops it promptly and frees the device', async () => {
    const tun = await client.openTun(identity, 1350);
    const io = new TunIo(tun.fd, {
      onPacket: () => {
        // A slow consumer: the reader thread ends up blocked on a full queue towards JS.
        const until = performance.now() + 0.2;
        while (performance.now() < until);
      },
    });
    const flood = host.spawn(['ping', '-6', '-f', '-l', '2000', '-c', '100000', PEER]);
    try {
      while (io.stats.packetsRead < 300) await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      assert.equal(await io.close(), null);
      assert.ok(performance.now() - started < 1000, `close took ${performance.now() - started} ms`);
      assert.equal(
        io.write(new Uint8Array(40)),
        false,
        'a write after close must be refused, not hit a reused fd',
      );
      // The reader closed the last fd, so the kernel removed the (non-persistent) device.
      const gone = await host.exec(['ip', 'link', 'show', 'dev', 'hnet0'], { allowFailure: true });
      assert.notEqual(gone.code, 0);
    } finally {
      await flood.stop();
      await io.close();
    }
  });

  test('an existing interface of the same name (another VPN) is never taken over: the helper names ours hnet1', async () => {
    await host.exec(['ip', 'tuntap', 'add', 'dev', 'hnet0', 'mode', 'tun']);
    try {
      const tun = await client.openTun(identity, 1350);
      const io = new TunIo(tun.fd, { onPacket: () => undefined });
      try {
        assert.equal(tun.name, 'hnet1');
        const links = (await ipJson('addr', 'show', 'dev', 'hnet0')) as { addr_info: { local?: string }[] }[];
        const addresses = links.flatMap((l) => l.addr_info.map((a) => a.local));
        assert.ok(
          !addresses.some((a) => a?.startsWith('fc94')),
          `the foreign device was reconfigured: ${addresses.join(' ')}`,
        );
      } finally {
        await io.close();
      }
    } finally {
      await host.exec(['ip', 'tuntap', 'del', 'dev', 'hnet0', 'mode', 'tun']);
    }
  });

  test('closeTun removes the device; a device the helper did not create is left alone', async () => {
    const tun = await client.openTun(identity, 1350);
    const onEnd: (NativeError | null)[] = [];
    const io = new TunIo(tun.fd, { onPacket: () => undefined, onEnd: (error) => onEnd.push(error) });
    assert.deepEqual(await client.closeTun('hnet0'), { name: 'hnet0', removed: true });
    const links = (await ipJson('link', 'show')) as { ifname: string }[];
    assert.ok(!links.some((l) => l.ifname === 'hnet0'));
    // The reader notices the device is gone and stops on its own, saying why.
    const error = await io.ended;
    assert.deepEqual(onEnd, [error]);
    assert.equal(error?.code, 'EBADFD');
    const refused = await client.call({ op: 'closeTun', name: 'eth0' });
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error.message, /not opened by the hnet helper/);
  });

  test("another member of the helper's group gets a device of its own, but neither our routes, our device nor our names", async () => {
    const ours = await client.openTun(identity, 1350);
    const io = new TunIo(ours.fd, { onPacket: () => undefined });
    const hostsFile = join(dir, 'hosts');
    await writeFile(hostsFile, '127.0.0.1 localhost\n');
    const second = host.spawn(
      [
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        `--groups=${ALLOWED_GID}`,
        process.execPath,
        '--import',
        'tsx',
        'e2e/fixtures/second-helper-client.ts',
        '--socket',
        socketPath,
        '--close',
        ours.name,
      ],
      { env: { ...process.env, HOME: dir } },
    );
    try {
      await second.waitForOutput(/^holding$/m, 20_000);
      const steps = new Map(
        second.stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map(
            (line) =>
              JSON.parse(line) as { step: string; outcome: { ok?: boolean; error?: { kind: string } } },
          )
          .map(({ step, outcome }) => [step, outcome]),
      );
      assert.deepEqual(steps.get('openTun'), { name: 'hnet1', overlayRoute: false });
      assert.equal(steps.get('closeTun')?.error?.kind, 'NotOwner');
      assert.equal(steps.get('writeHosts')?.error?.kind, 'NotOwner');
      const [route] = (await ipJson('-6', 'route', 'get', 'fc94::1')) as { dev: string }[];
      assert.equal(route?.dev, 'hnet0');
      const [multicast] = (await ipJson('-6', 'route', 'get', 'ff15:f2d3:a389::1')) as { dev: string }[];
      assert.equal(multicast?.dev, 'hnet0');
      assert.equal(await readFile(hostsFile, 'utf8'), '127.0.0.1 localhost\n');
    } finally {
      await second.stop();
    }
    // Its device went with it; ours and its routes stayed.
    const links = (await ipJson('link', 'show')) as { ifname: string }[];
    assert.deepEqual(links.map((l) => l.ifname).sort(), ['eth0', 'hnet0', 'lo']);
    const [route] = (await ipJson('-6', 'route', 'get', 'fc94::1')) as { dev: string }[];
    assert.equal(route?.dev, 'hnet0');
    await io.close();
  });

  test('hostile operations and arguments are refused and change nothing', async () => {
    const hostsFile = join(dir, 'hosts');
    await writeFile(hostsFile, '127.0.0.1 localhost\n');
    const hostile: { request: unknown; kind: string }[] = [
      { request: { op: 'exec', command: 'sh' }, kind: 'UnknownOperation' },
      // The old form, which let any caller name a device and an address, is no longer understood.
      { request: { op: 'openTun', name: 'eth0;reboot', address: ADDRESS, mtu: 1350 }, kind: 'BadRequest' },
      { request: { op: 'openTun', name: 'hnet0', address: ADDRESS, mtu: 1350 }, kind: 'BadRequest' },
      { request: { op: 'openTun', ...unprovenKey(), mtu: 68 }, kind: 'BadRequest' },
      { request: { op: 'openTun', ...unprovenKey(), mtu: 1350 }, kind: 'BadProof' },
      { request: { op: 'closeTun', name: 'eth0' }, kind: 'TunFailed' },
      {
        request: { op: 'writeHosts', entries: [{ address: '::1', hostname: 'bank.example' }] },
        kind: 'BadRequest',
      },
      { request: { op: 'writeHosts', entries: [{ address: ADDRESS, hostname: '-rf' }] }, kind: 'BadRequest' },
      {
        request: { op: 'writeHosts', entries: [{ address: ADDRESS, hostname: '.hidden' }] },
        kind: 'BadRequest',
      },
      {
        request: { op: 'writeHosts', entries: [{ address: ADDRESS, hostname: 'a\n1.2.3.4 bank.example' }] },
        kind: 'BadRequest',
      },
      {
        request: { op: 'writeHosts', entries: [{ address: ADDRESS, hostname: 'x'.repeat(254) }] },
        kind: 'BadRequest',
      },
      { request: { op: 'writeHosts', entries: [], extra: 1 }, kind: 'BadRequest' },
    ];
    for (const { request, kind } of hostile) {
      const reply = await client.call(request as never);
      assert.equal(reply.ok, false, JSON.stringify(request));
      assert.equal(reply.ok ? '' : reply.error.kind, kind, JSON.stringify(request));
    }
    assert.equal(await readFile(hostsFile, 'utf8'), '127.0.0.1 localhost\n');
    const links = (await ipJson('link', 'show')) as { ifname: string }[];
    assert.deepEqual(links.map((l) => l.ifname).sort(), ['eth0', 'lo']);
  });

  test('writeHosts rewrites only the managed lines of the hosts file', async () => {
    const hostsFile = join(dir, 'hosts');
    const original = Buffer.from('# kept\r\n127.0.0.1\tlocalhost \xe9\r\n::1 ip6-localhost', 'latin1');
    await writeFile(hostsFile, original);
    await client.writeHosts([{ address: PEER, hostname: 'laptop' }]);
    assert.equal(
      (await readFile(hostsFile)).toString('latin1'),
      `${original.toString('latin1')}\r\n${PEER} laptop # managed by hnet`,
    );
    await client.writeHosts([]);
    assert.deepEqual(await readFile(hostsFile), original);
  });

  /** Our public key with a nonce the helper never issued and a signature that is not ours. */
  const unprovenKey = () => ({
    publicKey: Buffer.from(identity.publicKey).toString('hex'),
    nonce: 'ab'.repeat(32),
    signature: 'cd'.repeat(64),
  });

  const asNobody = (groups = '--clear-groups'): Promise<{ code: number; stdout: string; stderr: string }> =>
    host.exec(
      [
        'setpriv',
        '--reuid=nobody',
        '--regid=nogroup',
        groups,
        process.execPath,
        '--import',
        'tsx',
        'src-helper/call.ts',
        '--socket',
        socketPath,
      ],
      { allowFailure: true },
    );

  test('a user outside the allowed group cannot even connect to the socket', async () => {
    const result = await asNobody();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /NotAuthorised: not allowed to connect to the hnet helper/);
  });

  test('a user whose supplementary groups include the allowed group is served', async () => {
    const result = await asNobody(`--groups=${ALLOWED_GID}`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { version: string }).version, '2');
  });

  test('with the socket opened up to everyone, peer credentials still refuse that user', async () => {
    await chmod(socketPath, 0o666);
    try {
      const result = await asNobody();
      assert.equal(result.code, 1);
      assert.match(result.stderr, /NotAuthorised: the hnet helper refuses uid 65534/);
      assert.match(result.stderr, /add the user to the hnet group/);
    } finally {
      await chmod(socketPath, 0o660);
    }
  });
});
