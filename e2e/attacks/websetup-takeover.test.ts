// Websetup only from the overlay (issue 15): a local user who is nobody on the overlay must not
// read what websetup tells a device, nor speak as websetup to it. Websetup's datagrams to a device
// (`<secret><seq><command>`) arrive on its own fc94 address, port 5580; a socket bound there with
// IPV6_FREEBIND (no privilege needed) while hnetd restarts would catch them, and one bound to
// websetup's address would send "from websetup" without ever crossing the tunnel.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { LOCAL_USER, type Host } from '../lab/index.js';
import {
  startNode,
  setupTokenOf,
  startServerStack,
  stopNode,
  waitForStatus,
  type HnetNode,
  type NodeOptions,
} from '../scenarios/hnet-node.js';
import { scenarioLab } from '../scenarios/scenario-lab.js';
import { Dashboard, engineSetting, eventually, HeldSocket, sendUdp } from './attack-kit.js';

const DEVICE_PORT = 5580;
/** Where spoofed names would point: an fc94 address nobody has. */
const ELSEWHERE = 'fc94:6666:6666:6666:6666:6666:6666:6666';

/** Any string stored under a "secret" key of the device's enrolment state, as root reads it. */
function findSecret(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'secret' && typeof inner === 'string') return inner;
    const found = findSecret(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}

const seq = (): string => Math.random().toString(36).slice(2, 7).padEnd(5, '0');

describe('a local user against websetup', () => {
  const world = scenarioLab();
  let server: Host;
  let deviceHost: Host;
  let device: HnetNode;
  let options: NodeOptions;
  let owner: Dashboard;
  let websetup = '';
  let secret = '';

  before(async () => {
    const { lab, scratch } = world;
    const inet = await lab.segment('inet');
    server = await lab.host('server', { on: inet });
    deviceHost = await lab.host('device', { on: inet });
    const stack = startServerStack(server, join(scratch, 'server'));
    owner = await Dashboard.signUp(server, 'owner@example.org', setupTokenOf(await stack.setupUrl));
    options = { baseServers: [`${server.ip}:443`] };
    device = await startNode(deviceHost, scratch, options);
    assert.match(await device.hnet(['join', await owner.joinCode()]), /joined as device/);
    websetup = (await device.status()).networks[0]!.websetup;
    const stateDir = await engineSetting(device.daemon, 'HNET_STATE_DIR');
    const enrolment = await readFile(join(stateDir, 'enrolment.json'), 'utf8');
    secret = findSecret(JSON.parse(enrolment)) ?? '';
    assert.ok(secret, `no websetup secret in the device's enrolment state:\n${enrolment}`);
  });

  /**
   * Sends, from a socket bound to websetup's address, the real secret followed by commands that
   * would turn the whitelist off and name `hostname` at will; the device must obey none of them.
   */
  async function spoofFromWebsetup(hostname: string): Promise<void> {
    await device.hnet(['whitelist', 'enable']);
    await sendUdp(deviceHost, LOCAL_USER, { from: websetup, address: device.address, port: DEVICE_PORT }, [
      `${secret}${seq()}whitelist-disable\n`,
      `${secret}${seq()}host-add\n${ELSEWHERE} ${hostname}`,
    ]);
    const seen = async () => {
      const status = await device.status();
      return {
        whitelistEnabled: status.whitelist.enabled,
        inHostTable: status.hosts.some((entry) => entry.hostname === hostname),
        inEtcHosts: (await readFile(deviceHost.hostsFile, 'utf8')).includes(hostname),
      };
    };
    const untouched = { whitelistEnabled: true, inHostTable: false, inEtcHosts: false };
    // Until everything the spoof asked for shows, or long enough for any of it to have shown.
    await eventually(async () => {
      const now = await seen();
      return !now.whitelistEnabled && now.inHostTable && now.inEtcHosts;
    }, 3_000);
    assert.deepEqual(await seen(), untouched, 'a local socket speaking as websetup changed the device');
  }

  test('a datagram from a local socket bound to websetup’s address, with the real secret, is not obeyed', async () => {
    await spoofFromWebsetup('security.debian.org');
  });

  test('nor after websetup was taken off the whitelist', async () => {
    await device.hnet(['whitelist', 'rm', websetup]);
    try {
      await spoofFromWebsetup('ftp.debian.org');
    } finally {
      await device.hnet(['whitelist', 'add', websetup]);
    }
  });

  test('a local socket holding the device’s own port 5580 while hnetd restarts receives nothing from websetup', async () => {
    await stopNode(device);
    const held = await HeldSocket.bind(deviceHost, LOCAL_USER, device.address, DEVICE_PORT);
    try {
      device = await startNode(deviceHost, world.scratch, options);
      const renamed = await owner.request('PATCH', `/api/devices/${encodeURIComponent(device.address)}`, {
        hostname: 'renamed',
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      await eventually(() => held.received.length > 0, 8_000);
      assert.deepEqual(
        held.received.map((datagram) => datagram.text),
        [],
        `a local user's socket received websetup's datagrams (the secret is ${secret})`,
      );
      await waitForStatus(device, (status) => (status.hostname === 'renamed' ? true : undefined), 15_000);
    } finally {
      await held.process.stop();
    }
  });
});
