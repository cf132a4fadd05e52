// Base server benchmark: relay throughput (1350-byte payloads, sender → base → receiver over UDP,
// and to a receiver that only has TCP), then the cost of many idle clients (TCP + NAT_INIT, INFO
// every 25 s): the server's RSS and how long STATE answers take.
//
//   node --import tsx bench/base.ts [--clients 10000] [--idle-seconds 60] [--relay-seconds 5] [--cluster]
//
// With --cluster (root, PostgreSQL installed: a throwaway one is started) there are two bases of
// one cluster: relay within one base and across the two, how soon a device that moved to the other
// base is reached again, and --clients idle clients on each base.
//
// The servers run as their own processes (the real `hnet-server base`); the relay load comes from
// this one, the idle clients from bench/base-idle-load.ts processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initCrypto } from '../src-protocol/crypto.js';
import { formatEndpoint, parseEndpoint, type Endpoint } from '../src-protocol/endpoint.js';
import type { Identity } from '../src-protocol/identity.js';
import { BaseClient } from '../src-server/base/test-client.js';
import type { IdleLoadSummary } from './base-idle-load.js';
import { postgresUnavailable, startThrowawayPostgres } from '../src-server/store/throwaway-postgres.js';
import { identityPool } from './identity-pool.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    'idle-seconds': { type: 'string', default: '60' },
    'info-interval': { type: 'string', default: '25' },
    'relay-seconds': { type: 'string', default: '5' },
    cluster: { type: 'boolean', default: false },
  },
});
const clientCount = Number(values.clients);
const idleSeconds = Number(values['idle-seconds']);
const infoIntervalMs = Number(values['info-interval']) * 1000;
const relaySeconds = Number(values['relay-seconds']);
const PAYLOAD = 1350;
/** Each idle client holds a TCP and a UDP socket in its load process, a TCP socket in the server. */
const SOCKETS_PER_CLIENT = 2;

const repoRoot = new URL('..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface RunningServer {
  child: ChildProcess;
  tcp: Endpoint;
  metricsUrl: string;
}

/** One `hnet-server base` on loopback; `clusterDatabase` makes it a base of that cluster. */
async function startServer(clusterDatabase?: string): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src-server/cli.ts',
      'base',
      '--tcp',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--metrics',
      '127.0.0.1:0',
      ...(clusterDatabase ? ['--cluster', clusterDatabase] : []),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  process.on('exit', () => child.kill('SIGKILL'));
  let output = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on TCP (\S+) .*metrics on (http:\S+)\/metrics/.exec(output);
      if (match) resolve(match[0]);
    });
    child.once('exit', (code) =>
      reject(new Error(`the server exited (${code}) before listening:\n${output}`)),
    );
  });
  const [, tcpText, metricsBase] = /listening on TCP (\S+) .*metrics on (http:\S+)\/metrics/.exec(line)!;
  const tcp = parseEndpoint(tcpText!);
  if (!tcp.ok) throw new Error(tcp.error.message);
  return { child, tcp: tcp.value, metricsUrl: `${metricsBase}/metrics` };
}

async function metric(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  const match = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

/** User + system CPU seconds the server process has used (Linux /proc, clock ticks of 1/100 s). */
function cpuSeconds(server: RunningServer): number {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const connectAt = (server: RunningServer, identity: Identity, keep = 0) =>
  BaseClient.connect({ identity, base: server.tcp, localIp: '127.0.0.1', keep });

/** Relayed DATA from a sender on `server` to a receiver on `receiverServer` (the same base by default). */
async function measureRelay(
  server: RunningServer,
  ids: Identity[],
  receiverOnUdp: boolean,
  receiverServer = server,
): Promise<void> {
  const across = receiverServer !== server;
  const [sender, receiver] = await Promise.all([
    connectAt(server, ids[0]!),
    connectAt(receiverServer, ids[1]!),
  ]);
  await Promise.all([sender.register(), receiver.register()]);
  await sender.natInitUntilOk();
  if (receiverOnUdp) await receiver.natInitUntilOk();

  // Self-clocked: at most `window` packets in flight, so the figure is what gets through, not
  // what the kernel drops on the floor. The receiver only counts: decoding here would make this
  // process, not the server, the bottleneck.
  const window = 512;
  let delivered = 0;
  let forgiven = 0;
  receiver.udp.setRecvBufferSize(4 * 1024 * 1024);
  receiver.udp.removeAllListeners('message');
  receiver.udp.on('message', () => delivered++);
  if (!receiverOnUdp) receiver.listen(() => delivered++);
  const message = sender.encode({
    kind: 'data',
    source: ids[0]!.address,
    target: ids[1]!.address,
    packet: new Uint8Array(PAYLOAD),
  });
  const base = sender.state[0]!;
  // Across bases, the sender's base learns of the receiver through the database first.
  while (across && delivered === 0) {
    sender.udp.send(message, base.port, base.ip);
    await sleep(10);
  }
  // Across bases the count is the first base's, of what it sent on to the other over UDP.
  const path = across ? 'cluster_udp' : receiverOnUdp ? 'udp' : 'tcp';
  const relayedBefore = await metric(server, `hnet_base_relayed_packets_total{path="${path}"}`);
  const cpuBefore = cpuSeconds(server) + (across ? cpuSeconds(receiverServer) : 0);
  delivered = 0;
  let sent = 0;
  const started = performance.now();
  const end = started + relaySeconds * 1000;
  while (performance.now() < end) {
    while (sent - delivered - forgiven < window) {
      sender.udp.send(message, base.port, base.ip);
      sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
    // A lost packet would hold its slot for good: give stuck slots back after a short wait.
    if (sent - delivered - forgiven >= window) {
      await sleep(1);
      if (sent - delivered - forgiven >= window) forgiven += window / 2;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(server) + (across ? cpuSeconds(receiverServer) : 0) - cpuBefore;
  const relayed = (await metric(server, `hnet_base_relayed_packets_total{path="${path}"}`)) - relayedBefore;
  const pps = delivered / seconds;
  const where = across
    ? `on the other base, ${receiverOnUdp ? 'UDP' : 'TCP'} (base to base over UDP)`
    : `on ${path.toUpperCase()}`;
  console.log(
    `relay to a receiver ${where}: ${fmt(pps)} packets/s delivered, ${fmt((pps * PAYLOAD * 8) / 1e6, 1)} Mbit/s of payload` +
      ` (${fmt(relayed)} relayed, ${fmt(delivered)} delivered in ${fmt(seconds, 1)} s);` +
      ` ${across ? 'both servers' : 'server'} CPU ${fmt((cpu / delivered) * 1e6, 1)} µs per packet, ${fmt((cpu / seconds) * 100)}% of a core`,
  );
  sender.close();
  receiver.close();
}

/** Runs one load process and resolves with its summary; reports its ramp-up through `onRegistered`. */
function idleLoad(
  server: RunningServer,
  first: number,
  count: number,
  onRegistered: (seconds: number) => void,
): Promise<IdleLoadSummary> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/base-idle-load.ts',
      ...['--base', formatEndpoint(server.tcp), '--first', String(first), '--count', String(count)],
      ...['--seconds', String(idleSeconds), '--interval-ms', String(infoIntervalMs)],
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  process.on('exit', () => child.kill('SIGKILL'));
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const ramp = /^registered \d+ ([\d.]+)$/m.exec(output);
      if (ramp) {
        onRegistered(Number(ramp[1]));
        output = output.replace(ramp[0], '');
      }
    });
    child.once('exit', (code) => {
      const last = output.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as IdleLoadSummary);
      else reject(new Error(`a load process exited with ${code}: ${output}`));
    });
  });
}

/**
 * A device moves from one base to the other while a peer on the first sends to it every
 * millisecond: how long from its connecting to the new base until the peer's DATA reaches it there.
 */
async function measureMove(from: RunningServer, to: RunningServer, ids: Identity[]): Promise<void> {
  const times: number[] = [];
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    const [home, away] = round % 2 === 0 ? [from, to] : [to, from];
    const peer = await connectAt(home, ids[0]!);
    const before = await connectAt(home, ids[1]!);
    await Promise.all([peer.register(), before.register()]);
    await peer.natInitUntilOk();
    const message = peer.encode({
      kind: 'data',
      source: ids[0]!.address,
      target: ids[1]!.address,
      packet: new Uint8Array(64),
    });
    const base = peer.state[0]!;
    const sending = setInterval(() => peer.udp.send(message, base.port, base.ip), 1);
    await before.waitFor((r) => r.message.kind === 'data');
    before.close();
    const started = performance.now();
    const moved = await connectAt(away, ids[1]!, 64);
    moved.info([{ ip: '127.0.0.1', port: moved.udpPort }]);
    const arrived = await moved.waitFor((r) => r.message.kind === 'data', 10_000);
    times.push(arrived.at - started);
    clearInterval(sending);
    peer.close();
    moved.close();
    await sleep(200);
  }
  times.sort((x, y) => x - y);
  console.log(
    `a device moved to the other base is reached there again ${fmt(times[rounds >> 1]!, 1)} ms (median of ${rounds}; ` +
      `fastest ${fmt(times[0]!, 1)}, slowest ${fmt(times.at(-1)!, 1)}) after it connects: TCP + HELLO + INFO, then the claim through PostgreSQL`,
  );
}

async function measureIdle(server: RunningServer, firstIdentity = 2): Promise<void> {
  // One process may hold only so many descriptors (and cannot raise its hard limit), so the
  // clients are spread over as many load processes as that takes.
  const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  const perProcess = Math.floor((limit - 500) / SOCKETS_PER_CLIENT);
  const processes = Math.ceil(clientCount / perProcess);
  let registered = 0;
  let rampSeconds = 0;
  let ramped!: () => void;
  const allRegistered = new Promise<void>((resolve) => (ramped = resolve));
  const loads = Array.from({ length: processes }, (_, i) => {
    const first = firstIdentity + Math.floor((clientCount * i) / processes);
    const count = firstIdentity + Math.floor((clientCount * (i + 1)) / processes) - first;
    return idleLoad(server, first, count, (seconds) => {
      rampSeconds = Math.max(rampSeconds, seconds);
      if (++registered === processes) ramped();
    });
  });
  await Promise.race([allRegistered, Promise.all(loads)]);
  const rssAfterRamp = await metric(server, 'process_resident_memory_bytes');
  console.log(
    `idle clients: ${fmt(await metric(server, 'hnet_base_clients'))} registered (TCP + INFO/STATE + NAT_INIT/NAT_OK) ` +
      `from ${processes} load processes in ${fmt(rampSeconds, 1)} s; server RSS ${fmt(rssAfterRamp / 2 ** 20)} MiB`,
  );

  let peakRss = rssAfterRamp;
  let connected = 0;
  let onUdp = 0;
  const sample = async (): Promise<void> => {
    peakRss = Math.max(peakRss, await metric(server, 'process_resident_memory_bytes'));
    connected = await metric(server, 'hnet_base_clients');
    onUdp = await metric(server, 'hnet_base_clients_udp');
  };
  // Sampled at once too, so an idle period shorter than the interval still reports what it held.
  await sample();
  const sampler = setInterval(() => void sample(), 5000);
  const summaries = await Promise.all(loads);
  clearInterval(sampler);

  const latencies = summaries.flatMap((s) => s.latencies).sort((x, y) => x - y);
  const missing = summaries.reduce((sum, s) => sum + s.missing, 0);
  const late = latencies.filter((ms) => ms > 1000).length;
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  console.log(
    `steady state over ${idleSeconds} s (INFO + NAT_INIT every ${infoIntervalMs / 1000} s per client): ` +
      `${fmt(connected)} clients connected, ${fmt(onUdp)} with a fresh UDP mapping; server RSS peak ${fmt(peakRss / 2 ** 20)} MiB`,
  );
  console.log(
    `STATE latency over ${fmt(latencies.length)} INFOs: median ${fmt(at(0.5), 1)} ms, p99 ${fmt(at(0.99), 1)} ms, ` +
      `worst ${fmt(latencies.at(-1) ?? NaN, 1)} ms; over 1 s: ${late}; unanswered: ${missing}`,
  );
}

async function benchCluster(): Promise<void> {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new Error(`--cluster: ${unavailable}`);
  const postgres = await startThrowawayPostgres();
  const servers: RunningServer[] = [];
  try {
    servers.push(await startServer(postgres.url), await startServer(postgres.url));
    const [first, second] = servers as [RunningServer, RunningServer];
    await measureRelay(first, ids, true);
    await measureRelay(first, ids, true, second);
    await measureRelay(first, ids, false, second);
    await measureMove(first, second, ids);
    console.log(`${fmt(clientCount)} idle clients on each of the two bases at once:`);
    await Promise.all([measureIdle(first), measureIdle(second, clientCount + 2)]);
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
    await postgres.stop();
  }
}

await initCrypto();
const ids = await identityPool((values.cluster ? 2 : 1) * clientCount + 2, (line) => console.log(line));
console.log(
  `base server benchmark: ${fmt(clientCount)} idle clients${values.cluster ? ' per base, two bases of one cluster' : ''}, relay for ${relaySeconds} s per path`,
);
if (values.cluster) await benchCluster();
else {
  const server = await startServer();
  try {
    await measureRelay(server, ids, true);
    await measureRelay(server, ids, false);
    await measureIdle(server);
  } finally {
    server.child.kill('SIGTERM');
  }
}
