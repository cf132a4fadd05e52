// Store benchmark: what websetup and the dashboard do most, on the embedded SQLite (WebAssembly)
// and, where its binaries are installed, on a throwaway PostgreSQL cluster.
//
//   node --import tsx bench/store.ts [--devices 1000] [--network-size 50]
//
// Prints operations per second for: a device joining, a device added to a network, and the sync
// query websetup runs per device (its peers), plus one full sweep over every device.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Store } from '../src-server/store/store.js';
import { postgresUnavailable, startThrowawayPostgres } from '../src-server/store/throwaway-postgres.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    'network-size': { type: 'string', default: '50' },
  },
});
const deviceCount = Number(values.devices);
const networkSize = Number(values['network-size']);

const address = (i: number): string =>
  `fc94:0000:0000:0000:0000:0000:${(i >> 16).toString(16).padStart(4, '0')}:${(i & 0xffff).toString(16).padStart(4, '0')}`;

async function timed(label: string, count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await work(i);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `  ${label.padEnd(34)} ${Math.round(count / seconds)
      .toString()
      .padStart(7)} /s  (${count} in ${seconds.toFixed(2)} s)`,
  );
}

async function run(name: string, location: string): Promise<void> {
  console.log(`${name}: ${deviceCount} devices, networks of ${networkSize}`);
  const store = await Store.open(location);
  try {
    const account = await store.createAccount('bench@example.org', 'hash');
    if (!account.ok) throw new Error(account.error.message);
    const owner = account.value.id;
    await timed('device joins (claimDevice)', deviceCount, (i) =>
      store.claimDevice({ address: address(i), hostname: `device-${i}`, secret: 's'.repeat(24) }, owner),
    );
    const networks: string[] = [];
    for (let n = 0; n < Math.ceil(deviceCount / networkSize); n++)
      networks.push((await store.createNetwork(owner, `net-${n}`)).id);
    await timed('device added to a network', deviceCount, (i) =>
      store.addToNetwork(owner, networks[Math.floor(i / networkSize)]!, address(i)),
    );
    await timed('websetup sync query (peersOf)', deviceCount, (i) => store.peersOf(address(i)));
    const sweepStart = performance.now();
    for (const device of await store.allDeviceAddresses()) {
      await store.deviceContact(device);
      await store.peersOf(device);
      await store.pushedEntries(device);
    }
    console.log(
      `  full websetup sweep                 ${((performance.now() - sweepStart) / 1000).toFixed(2)} s`,
    );
  } finally {
    await store.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hnet-bench-store-'));
try {
  await run('SQLite (node-sqlite3-wasm, synchronous=FULL)', join(dir, 'bench.sqlite'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const unavailable = postgresUnavailable();
if (unavailable) console.log(`PostgreSQL: skipped, ${unavailable}`);
else {
  const cluster = await startThrowawayPostgres();
  try {
    await run('PostgreSQL (throwaway cluster, fsync off)', cluster.url);
  } finally {
    await cluster.stop();
  }
}
