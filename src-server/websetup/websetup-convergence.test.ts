// Convergence, as a property: after any sequence of dashboard changes (renames, adds to and removals
// from networks, some refused), every device's whitelist, host table, hosts file and own name equal
// what the dashboard says within 5 s, and no device sees one name on two devices. Driven through
// the REST API against real server parts and real engines (test-websetup-lab.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '../../src-main/engine/log.js';
import { WebsetupLab, type DeviceView, type LabAccount, type LabDevice } from './test-websetup-lab.js';

const DEADLINE_MS = 5_000;
/** Names tried: clashing ones, letter case, one with dots the dashboard refuses, the devices' own. */
const NAMES = ['alpha', 'Alpha', 'bravo', 'charlie', 'printer', 'github.com', 'd0', 'd1', 'd2', 'd3'];

type Op =
  | { kind: 'rename'; device: number; name: string }
  | { kind: 'add' | 'remove'; device: number; network: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('rename' as const), device: fc.nat(3), name: fc.constantFrom(...NAMES) }),
    fc.record({
      kind: fc.constantFrom('add' as const, 'remove' as const),
      device: fc.nat(3),
      network: fc.nat(2),
    }),
  ),
  { minLength: 1, maxLength: 12 },
);

describe('websetup convergence', () => {
  let lab: WebsetupLab;
  /** The server's and devices' warnings (a refused command, say), shown when the property fails. */
  const warnings: string[] = [];
  let devices: LabDevice[] = [];
  /** Each device's owner: d0 and d1 are alice's, d2 and d3 bob's. */
  let owners: LabAccount[] = [];
  /** alice's own network, one alice shares with bob, and bob's own. */
  let networks: string[] = [];

  before(async () => {
    lab = await WebsetupLab.start(createLogger('warn', (line) => warnings.push(line)));
    const alice = await lab.account('alice@example.org');
    const bob = await lab.account('bob@example.org');
    owners = [alice, alice, bob, bob];
    devices = [];
    for (const [i, owner] of owners.entries()) {
      const device = await lab.device(`d${i}`);
      await lab.join(device, owner);
      devices.push(device);
    }
    const create = async (owner: LabAccount, name: string) =>
      (await owner.api('POST', '/api/networks', { name })).body.id as string;
    networks = [await create(alice, 'home'), await create(alice, 'shared'), await create(bob, 'office')];
    await alice.api('POST', `/api/networks/${networks[1]}/shares`, { email: 'bob@example.org' });
  });
  after(() => lab?.stop());

  async function apply(op: Op): Promise<number> {
    const owner = owners[op.device]!;
    const address = encodeURIComponent(devices[op.device]!.address);
    if (op.kind === 'rename')
      return (await owner.api('PATCH', `/api/devices/${address}`, { hostname: op.name })).status;
    const network = networks[op.network]!;
    if (op.kind === 'add')
      return (
        await owner.api('POST', `/api/networks/${network}/devices`, { address: devices[op.device]!.address })
      ).status;
    return (await owner.api('DELETE', `/api/networks/${network}/devices/${address}`)).status;
  }

  const hostsFileOf = (device: LabDevice): string[] =>
    device.hostsFile.map((e) => `${e.hostname} ${e.address}`).sort();
  const expectedHostsFile = (view: DeviceView, device: LabDevice): string[] =>
    [`${view.hostname} ${device.address}`, ...view.hosts].sort();

  async function differences(): Promise<string[]> {
    const found: string[] = [];
    for (const device of devices) {
      const wanted = await lab.serverView(device);
      const held = lab.deviceView(device);
      if (JSON.stringify(held) !== JSON.stringify(wanted))
        found.push(
          `${device.name} holds ${JSON.stringify(held)}, the dashboard says ${JSON.stringify(wanted)}`,
        );
      else if (JSON.stringify(hostsFileOf(device)) !== JSON.stringify(expectedHostsFile(wanted, device)))
        found.push(`${device.name}'s hosts file is ${JSON.stringify(hostsFileOf(device))}`);
      const seen = [wanted.hostname, ...wanted.hosts.map((h) => h.split(' ')[0]!)].map((n) =>
        n.toLowerCase(),
      );
      assert.equal(new Set(seen).size, seen.length, `${device.name} sees one name twice: ${seen.join(', ')}`);
    }
    return found;
  }

  test('after any sequence of dashboard changes every device holds what the dashboard says within 5 s', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (sequence) => {
        warnings.length = 0;
        const statuses = [];
        for (const op of sequence) statuses.push(await apply(op));
        const deadline = Date.now() + DEADLINE_MS;
        let left = await differences();
        while (left.length > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          left = await differences();
        }
        assert.deepEqual(
          left,
          [],
          `after ${JSON.stringify(sequence)} (answers ${statuses.join(' ')}); warnings:\n${warnings.join('\n')}`,
        );
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });
});
