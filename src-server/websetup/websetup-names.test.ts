// Names have owners, tried as issue 16 found them broken: a member of a shared network renames its
// device to an internet name, to the peer's own name and to a name the peer's owner set by hand;
// then renames it three times in a row. Real server parts and real engines (test-websetup-lab.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src-main/engine/log.js';
import {
  WebsetupLab,
  waitFor,
  type ApiAnswer,
  type LabAccount,
  type LabDevice,
} from './test-websetup-lab.js';

/** A dashboard change must reach the devices within this. */
const DEADLINE_MS = 5_000;
const PRINTER = 'fc94:0000:0000:0000:0000:0000:0000:0099';

describe('names pushed by websetup', () => {
  const warnings: string[] = [];
  let lab: WebsetupLab;
  let alice: LabAccount;
  let bob: LabAccount;
  let alpha: LabDevice;
  let bravo: LabDevice;

  const names = (device: LabDevice, address: string) =>
    device.engine.hosts.entries.filter((e) => e.address === address).map((e) => e.hostname);

  before(async () => {
    lab = await WebsetupLab.start(createLogger('warn', (line) => warnings.push(line)));
    alice = await lab.account('alice@example.org');
    bob = await lab.account('bob@example.org');
    alpha = await lab.device('alpha');
    bravo = await lab.device('bravo');
    await lab.join(alpha, alice);
    await lab.join(bravo, bob);
    // Bravo's owner names a machine of their own by hand (`hnet hosts add printer …`).
    assert.ok((await bravo.engine.hosts.add({ hostname: 'printer', address: PRINTER })).ok);
    const network = await bob.api('POST', '/api/networks', { name: 'shared' });
    const id = network.body.id as string;
    assert.equal(
      (await bob.api('POST', `/api/networks/${id}/shares`, { email: 'alice@example.org' })).status,
      201,
    );
    assert.equal(
      (await bob.api('POST', `/api/networks/${id}/devices`, { address: bravo.address })).status,
      201,
    );
    assert.equal(
      (await alice.api('POST', `/api/networks/${id}/devices`, { address: alpha.address })).status,
      201,
    );
    await waitFor('bravo knowing alpha', () => names(bravo, alpha.address).includes('alpha'), DEADLINE_MS);
  });
  after(() => lab?.stop());

  test('a member’s renames to an internet name, the peer’s name or a name set by hand never reach the peer', async () => {
    const rename = (hostname: string) =>
      alice.api('PATCH', `/api/devices/${encodeURIComponent(alpha.address)}`, { hostname });
    const refusedOnBravo = (hostname: string) =>
      warnings.some(
        (l) => l.includes('device=bravo') && l.includes('websetup-name-refused') && l.includes(hostname),
      );
    const answers = new Map<string, ApiAnswer>();
    for (const hostname of ['github.com', 'bravo', 'printer']) {
      const answer = await rename(hostname);
      answers.set(hostname, answer);
      // Refused by the dashboard, refused by bravo, or (before the fix) taken: either way it is over.
      await waitFor(
        `the rename to ${hostname} to be settled`,
        () =>
          answer.status >= 400 || refusedOnBravo(hostname) || names(bravo, alpha.address).includes(hostname),
        DEADLINE_MS,
      );
    }
    assert.equal((await rename('alpha-2')).status, 200);
    await waitFor(
      'bravo knowing alpha as alpha-2',
      () => names(bravo, alpha.address).includes('alpha-2'),
      DEADLINE_MS,
    );

    for (const hostname of ['github.com', 'bravo', 'printer'])
      assert.ok(
        !bravo.everNamed.has(`${hostname} ${alpha.address}`),
        `${hostname} never named alpha on bravo`,
      );
    assert.deepEqual(names(bravo, alpha.address), ['alpha-2'], 'alpha has its one name on bravo');
    assert.equal(bravo.engine.hosts.resolve('printer'), PRINTER, 'the name set by hand survives');
    await waitFor(
      'bravo’s hosts file',
      () => bravo.hostsFile.some((e) => e.hostname === 'alpha-2'),
      DEADLINE_MS,
    );
    assert.deepEqual(
      [...bravo.hostsFile].map((e) => `${e.hostname} ${e.address}`).sort(),
      [`alpha-2 ${alpha.address}`, `bravo ${bravo.address}`, `printer ${PRINTER}`].sort(),
      'bravo’s own name, alpha’s current name and the name set by hand, nothing else',
    );

    const internet = answers.get('github.com')!;
    assert.equal(internet.status, 400);
    assert.match(internet.body.error?.message ?? '', /cannot be a device name: device names have no dots/);
    const taken = answers.get('bravo')!;
    assert.equal(taken.status, 409);
    assert.match(taken.body.error?.message ?? '', /"bravo" is taken/);
    // The dashboard cannot know what bravo's owner typed; bravo itself refused it.
    assert.equal(answers.get('printer')!.status, 200);
    assert.ok(refusedOnBravo('printer'));
  });

  test('three renames in a row leave only the last name on the peer', async () => {
    // One after another with no I/O in between, as fast as the dashboard could take them: every
    // command is still on its way when the next rename is planned.
    for (const hostname of ['r1', 'r2', 'r3']) {
      assert.ok((await lab.store.renameDevice(alice.id, alpha.address, hostname)).ok);
      lab.websetup.server.devicesChanged([alpha.address, bravo.address]);
    }
    await waitFor(
      'bravo to know alpha as r3 only',
      () => names(bravo, alpha.address).join() === 'r3' && alpha.engine.config.hostname === 'r3',
      DEADLINE_MS,
    );
    await waitFor('websetup’s record to match', async () => {
      const record = await lab.store.pushedEntries(bravo.address);
      return (
        record.filter((e) => e.startsWith(`host ${alpha.address}`)).join() === `host ${alpha.address} r3`
      );
    });
    assert.deepEqual(names(bravo, alpha.address), ['r3']);
  });
});
