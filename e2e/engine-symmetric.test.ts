// Two nodes behind symmetric NATs: no hole can be punched, which the status explains, and the
// base relays their traffic so pings by hostname still work.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from './lab/index.js';
import {
  introduce,
  makeScratch,
  pingsReceived,
  removeScratch,
  startBase,
  startNode,
  waitForStatus,
  type HnetNode,
} from './engine-node.js';

describe('two nodes behind symmetric NATs', () => {
  let lab: Lab;
  let scratch: string;
  let a: HnetNode;
  let b: HnetNode;

  before(async () => {
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const lan1 = await lab.segment('lan1');
    const lan2 = await lab.segment('lan2');
    await lab.router('nat1', { wan: inet, lan: lan1, mode: 'symmetric' });
    await lab.router('nat2', { wan: inet, lan: lan2, mode: 'symmetric' });
    const { server } = await startBase(await lab.host('base', { on: inet }));
    [a, b] = await Promise.all([
      startNode(await lab.host('alpha', { on: lan1 }), scratch, { baseServers: [server] }),
      startNode(await lab.host('bravo', { on: lan2 }), scratch, { baseServers: [server] }),
    ]);
    await introduce([a, b]);
    await a.hnet(['wait', 'base', '--timeout', '10']);
    await b.hnet(['wait', 'base', '--timeout', '10']);
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('pings go through the base, and after probing the status says why there is no direct path', async () => {
    const pinging = a.host.exec(['ping', '-6', '-c', '60', '-i', '0.2', '-w', '15', 'bravo']);
    const peer = await waitForStatus(
      a,
      (status) => status.peers.find((p) => p.address === b.address && p.path === 'tunnelled'),
      15_000,
    );
    assert.match(
      peer.reason,
      /^no answer from any of \d candidates? — both sides may be behind symmetric NATs; data via the base$/,
    );
    assert.equal(peer.endpoint, null);
    const { stdout } = await pinging.catch((error: { result?: { stdout: string } }) => ({
      stdout: error.result?.stdout ?? '',
    }));
    assert.ok(pingsReceived(stdout) >= 40, stdout);
  });
});
