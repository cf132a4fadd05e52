// One slice of the idle-client load for bench/base.ts, as its own process: one process can hold
// only so many sockets (each client has a TCP and a UDP one). Registers clients first..first+count
// of the identity pool, then sends INFO (and NAT_INIT) from each every interval, timing every STATE.
// Prints `registered <n> <seconds>` once ramped up, and a JSON summary line at the end.
//   base-idle-load.ts --base IP:PORT --first N --count N --seconds S --interval-ms MS
import { parseArgs } from 'node:util';
import { initCrypto } from '../src-protocol/crypto.js';
import { parseEndpoint } from '../src-protocol/endpoint.js';
import { BaseClient } from '../src-server/base/test-client.js';
import { identityPool } from './identity-pool.js';

export interface IdleLoadSummary {
  latencies: number[];
  missing: number;
}

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: '' },
    first: { type: 'string', default: '0' },
    count: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '60' },
    'interval-ms': { type: 'string', default: '25000' },
  },
});
const base = parseEndpoint(values.base);
if (!base.ok) throw new Error(base.error.message);
const first = Number(values.first);
const count = Number(values.count);
const intervalMs = Number(values['interval-ms']);

/** Source addresses spread over 127.1.0.0/16 so ephemeral ports never run out. */
const sourceIp = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const announced = (client: BaseClient) => [{ ip: '192.0.2.1', port: client.udpPort }];

await initCrypto();
const ids = (await identityPool(first + count)).slice(first);
const started = performance.now();
const clients: BaseClient[] = [];
const BATCH = 100;
for (let at = 0; at < count; at += BATCH) {
  const joined = await Promise.all(
    ids.slice(at, at + BATCH).map(async (identity, j) => {
      const client = await BaseClient.connect(
        { identity, base: base.value, localIp: sourceIp(first + at + j), keep: 4 },
        30_000,
      );
      await client.register(announced(client), 30_000);
      await client.natInitUntilOk(30_000, 3000);
      return client;
    }),
  );
  clients.push(...joined);
}
console.log(`registered ${clients.length} ${((performance.now() - started) / 1000).toFixed(1)}`);

// Steady state, spread evenly over the interval as independent devices would be.
const summary: IdleLoadSummary = { latencies: [], missing: 0 };
const tick = async (client: BaseClient) => {
  const sentAt = performance.now();
  client.info(announced(client));
  client.natInit();
  try {
    const state = await client.waitFor((r) => r.message.kind === 'state', 5000);
    summary.latencies.push(state.at - sentAt);
  } catch {
    summary.missing++;
  }
};
const timers: NodeJS.Timeout[] = clients.map((client, i) =>
  setTimeout(
    () => {
      void tick(client);
      timers[i] = setInterval(() => void tick(client), intervalMs);
    },
    (intervalMs * i) / clients.length,
  ),
);
await new Promise((resolve) => setTimeout(resolve, Number(values.seconds) * 1000));
for (const timer of timers) clearTimeout(timer);
// Let the last answers arrive before reporting.
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log(JSON.stringify(summary));
for (const client of clients) client.close();
