// A join request must come from the engine (issue 15): a local user's ordinary UDP socket sending
// `init-request-join-code` to websetup leaves through hnet0 with the device's own address, as if
// the device itself asked to join another account. The device must stay with its owner.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import { LOCAL_USER, type Host } from '../lab/index.js';
import { setupTokenOf, startNode, startServerStack, type HnetNode } from '../scenarios/hnet-node.js';
import { scenarioLab } from '../scenarios/scenario-lab.js';
import { Dashboard, eventually, sendUdp } from './attack-kit.js';

const WEBSETUP_PORT = 4800;

describe('a local user against the device’s account', () => {
  const world = scenarioLab();
  let deviceHost: Host;
  let device: HnetNode;
  let owner: Dashboard;
  let intruder: Dashboard;

  before(async () => {
    const { lab, scratch } = world;
    const inet = await lab.segment('inet');
    const server = await lab.host('server', { on: inet });
    deviceHost = await lab.host('device', { on: inet });
    const stack = startServerStack(server, join(scratch, 'server'), { allowSignup: true });
    owner = await Dashboard.signUp(server, 'owner@example.org', setupTokenOf(await stack.setupUrl));
    intruder = await Dashboard.signUp(server, 'intruder@example.org');
    device = await startNode(deviceHost, scratch, { baseServers: [`${server.ip}:443`] });
    assert.match(await device.hnet(['join', await owner.joinCode()]), /joined as device/);
  });

  test('init-request-join-code with another account’s code, sent by a local user, does not move the device', async () => {
    const { websetup } = (await device.status()).networks[0]!;
    const code = (await intruder.joinCode()).split('/')[1]!;
    const request = `init-request-join-code\n${code}\nattacker-chosen-secret-0123\nstolen`;
    for (let i = 0; i < 3; i++) {
      await sendUdp(deviceHost, LOCAL_USER, { address: websetup, port: WEBSETUP_PORT }, [request]);
      await sleep(500);
    }
    await eventually(async () => (await intruder.devices()).length > 0, 5_000);
    assert.deepEqual(await intruder.devices(), [], 'the device appeared in the other account');
    assert.deepEqual(await owner.devices(), [device.address], 'the owner lost the device');
    const [network] = (await device.status()).networks;
    assert.deepEqual([network?.websetup, network?.state], [websetup, 'joined']);
  });
});
