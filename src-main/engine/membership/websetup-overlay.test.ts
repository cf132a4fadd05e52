// Websetup only from the overlay, with everything real but the kernel: a base server on loopback,
// the server stack's websetup node, and devices whose engines run their real data planes and
// enrolment on a fake TUN device (what a local process would route into hnet0 is injected there;
// what the engine writes to it is recorded). A device joins; then what a local user could try is
// tried through the TUN device, where the engine meets local processes.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { formatAddress, parseOverlayAddress } from '../../../src-protocol/address.js';
import { equalBytes } from '../../../src-protocol/bytes.js';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { buildUdpPacket, NEXT_HEADER_ICMPV6, NEXT_HEADER_UDP } from '../../../src-protocol/udp-packet.js';
import {
  encodeNodeRequest,
  encodeWebsetupCommand,
  formatJoinCode,
  generateJoinCode,
  generateWebsetupSecret,
  WEBSETUP_NODE_PORT,
  WEBSETUP_SERVER_PORT,
} from '../../../src-protocol/websetup-messages.js';
import { BaseServer } from '../../../src-server/base/base-server.js';
import { defaultLimits } from '../../../src-server/base/limits.js';
import { hashSecret } from '../../../src-server/store/secret-hash.js';
import { Store } from '../../../src-server/store/store.js';
import { WebsetupNode } from '../../../src-server/websetup/websetup-node.js';
import { dataLaneUnavailable } from '../../native/lane-availability.js';
import { DataLane } from '../packets/data-lane.js';
import { createDataPlane, type OpenTun } from '../data-plane.js';
import { Engine, type DataPlane } from '../engine.js';
import { createEnrolment } from './enrolment.js';
import { ENROLMENT_FILE } from './enrolment-state.js';
import { createLogger } from '../log.js';
import { TUN_TO_WEBSETUP } from '../packets/management-port.js';

await initCrypto();
const log = createLogger('error');
// Every lane route any engine here sets, recorded on the way to the addon.
const laneRoutes = mock.method(DataLane.prototype, 'route');

interface Device {
  engine: Engine;
  /** Its data plane, which reports websetup's peer too (status shows it as the network's server). */
  plane: DataPlane;
  address: Uint8Array;
  stateDir: string;
  /** What the engine wrote to its TUN device. */
  written: Uint8Array[];
  /** A packet as a local process would route it into hnet0. */
  fromLocal(packet: Uint8Array): void;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An ICMPv6 echo request, as `ping` sends it. */
function echoRequest(from: Uint8Array, to: Uint8Array): Uint8Array {
  const packet = new Uint8Array(40 + 16);
  packet[0] = 0x60;
  packet[5] = 16;
  packet[6] = NEXT_HEADER_ICMPV6;
  packet[7] = 64;
  packet.set(from, 8);
  packet.set(to, 24);
  packet[40] = 128;
  return packet;
}

describe('websetup only from the overlay', () => {
  let dir = '';
  let base: BaseServer;
  let store: Store;
  let websetup: WebsetupNode;
  let websetupAddress: Uint8Array;
  let baseServer = '';
  let ownerId = '';
  const devices: Device[] = [];

  const drops = (device: Device, reason: string): number => device.engine.status().drops?.[reason] ?? 0;
  const peerReport = (device: Device, address: Uint8Array) =>
    device.plane.peers().find((p) => p.address === formatAddress(address));

  async function device(name: string): Promise<Device> {
    const written: Uint8Array[] = [];
    let toEngine: ((packet: Uint8Array) => void) | undefined;
    const openTun: OpenTun = async (_identity, onPacket) => {
      toEngine = onPacket;
      return {
        name: 'fake0',
        write: (packet) => written.push(packet.slice()) > 0,
        close: async () => undefined,
      };
    };
    const stateDir = join(dir, name);
    let plane: DataPlane | undefined;
    const started = await Engine.start({
      config: {
        stateDir,
        controlSocket: join(dir, `${name}.sock`),
        helperSocket: join(dir, 'helper.sock'),
        baseServers: [baseServer],
        udpPort: 0,
        hostname: name,
        dataLane: 'on',
        logLevel: 'error',
      },
      log,
      writeHosts: async () => undefined,
      dataPlane: (components) => (plane = createDataPlane({ openTun })(components)),
      enrolment: createEnrolment({ retryMs: 200, joinWaitMs: 20_000 }),
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    const engine = started.value;
    const made: Device = {
      engine,
      plane: plane!,
      address: engine.identity.address,
      stateDir,
      written,
      fromLocal: (packet) => toEngine?.(packet),
    };
    devices.push(made);
    return made;
  }

  async function joinCodeFor(accountId: string): Promise<string> {
    const code = generateJoinCode();
    await store.createJoinCode(accountId, 'lab', hashSecret(code));
    return formatJoinCode({ websetup: websetupAddress, code });
  }

  let alpha: Device;
  let bravo: Device;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-websetup-overlay-'));
    base = await BaseServer.start({
      tcp: [{ ip: '127.0.0.1', port: 0 }],
      udp: [{ ip: '127.0.0.1', port: 0 }],
      advertiseIp: undefined,
      metrics: undefined,
      limits: defaultLimits,
    });
    baseServer = `127.0.0.1:${base.tcpAddresses[0]!.port}`;
    store = await Store.open(join(dir, 'hnet.sqlite'));
    const owner = await store.createAccount('owner@example.org', 'hash');
    assert.ok(owner.ok);
    ownerId = owner.value.id;
    websetup = await WebsetupNode.start({
      stateDir: join(dir, 'server'),
      baseServers: [baseServer],
      udpPort: 0,
      store,
      log,
    });
    websetupAddress = parseOverlayAddress(websetup.address)!;
    alpha = await device('alpha');
    bravo = await device('bravo');
    const joined = await alpha.engine.join(await joinCodeFor(ownerId), 'alpha');
    assert.ok(joined.ok, joined.ok ? '' : joined.error.message);
  });

  after(async () => {
    for (const d of devices) await d.engine.stop();
    await websetup?.stop();
    await store?.close();
    await base?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('websetup’s datagrams reach the engine inside the session and never the TUN device', async () => {
    assert.deepEqual(
      (await store.devices(ownerId)).map((d) => d.hostname),
      ['alpha'],
      'the signed join was taken and answered',
    );
    const fromWebsetup = alpha.written.filter((p) => equalBytes(p.subarray(8, 24), websetupAddress));
    assert.deepEqual(fromWebsetup, [], 'nothing of websetup’s was written where local processes read');
    assert.ok(peerReport(alpha, websetupAddress)?.lastHandshake, 'through a session with websetup');
    const status = alpha.engine.status();
    assert.deepEqual(
      status.networks.map((n) => [n.websetup, n.reach]),
      [[formatAddress(websetupAddress), 'online']],
      'websetup is shown as the network’s server, answering',
    );
    assert.equal(
      status.peers.some((p) => p.address === formatAddress(websetupAddress)),
      false,
      'and not counted as a peer',
    );
  });

  test('a datagram from the TUN device claiming to be websetup’s is never a command', async () => {
    const { secret } = JSON.parse(await readFile(join(alpha.stateDir, ENROLMENT_FILE), 'utf8')).websetup;
    const command = encodeWebsetupCommand(secret as string, 'AAAAA', { kind: 'whitelist-disable' });
    assert.ok(command.ok);
    const before = drops(alpha, 'tun-AddressMismatch');
    alpha.fromLocal(
      buildUdpPacket(websetupAddress, WEBSETUP_SERVER_PORT, alpha.address, WEBSETUP_NODE_PORT, command.value),
    );
    // Counted as dropped where it entered: it went nowhere after that, to no port and no peer.
    assert.equal(drops(alpha, 'tun-AddressMismatch'), before + 1);
    assert.equal(alpha.engine.whitelist.state.enabled, true);
  });

  test('local processes cannot talk to websetup’s port, so cannot move the device; they can ping it', async () => {
    const mallory = await store.createAccount('mallory@example.org', 'hash');
    assert.ok(mallory.ok);
    const theirs = (await joinCodeFor(mallory.value.id)).split('/')[1]!;
    const request = encodeNodeRequest({
      kind: 'init-request-join-code',
      code: theirs,
      secret: generateWebsetupSecret(),
      hostname: 'alpha',
    });
    assert.ok(request.ok);
    const sentBefore = peerReport(alpha, websetupAddress)!.bytesSent;
    alpha.fromLocal(
      buildUdpPacket(alpha.address, WEBSETUP_NODE_PORT, websetupAddress, WEBSETUP_SERVER_PORT, request.value),
    );
    assert.equal(drops(alpha, TUN_TO_WEBSETUP), 1);
    assert.equal(peerReport(alpha, websetupAddress)!.bytesSent, sentBefore, 'nothing went to websetup');

    const ping = echoRequest(alpha.address, websetupAddress);
    alpha.fromLocal(ping);
    assert.equal(drops(alpha, TUN_TO_WEBSETUP), 1);
    assert.equal(peerReport(alpha, websetupAddress)!.bytesSent, sentBefore + ping.length, 'the ping went');
    // Only the ping left alpha for websetup (the byte counts above), so websetup had no request to act on.
    assert.deepEqual(await store.devices(mallory.value.id), []);
  });

  test(
    'websetup’s peer is never routed on the data lane, even after its handshake; other peers are',
    { skip: dataLaneUnavailable() ?? false },
    async () => {
      for (const [from, to] of [
        [alpha, bravo],
        [bravo, alpha],
      ] as const)
        assert.ok((await from.engine.whitelist.add(formatAddress(to.address))).ok);
      alpha.fromLocal(echoRequest(alpha.address, bravo.address));
      await waitFor('the ping at bravo', () =>
        bravo.written.some(
          (p) => p[6] === NEXT_HEADER_ICMPV6 && equalBytes(p.subarray(8, 24), alpha.address),
        ),
      );
      const routedWithKeys = (address: Uint8Array) =>
        laneRoutes.mock.calls.filter(
          ({ arguments: [peer, cipher] }) => equalBytes(peer, address) && cipher !== undefined,
        ).length;
      await waitFor('bravo on the lane', () => routedWithKeys(bravo.address) > 0);
      assert.ok(peerReport(alpha, websetupAddress)?.lastHandshake);
      assert.equal(routedWithKeys(websetupAddress), 0);
      assert.equal(
        alpha.written.some((p) => p[6] === NEXT_HEADER_UDP),
        false,
        'no UDP reached alpha’s TUN device',
      );
    },
  );
});
