// Security-layer throughput on one core: seal and open of 1350-byte payloads (the TUN MTU), through
// the raw data-packet path the engine uses, through a whole SecuritySession, and through
// libsodium-wrappers' high-level API for comparison; then signatures and complete handshakes per
// second. The first line names the crypto backend in use (src-protocol/crypto.ts).
// Run: node --import tsx bench/protocol.ts   (HNET_CRYPTO_BACKEND=wasm for the portable backend)
import { cryptoBackendInfo, initCrypto, sign, wasmSodium, verify } from '../src-protocol/crypto.js';
import { DATA_OVERHEAD, openData, sealDataInto } from '../src-protocol/security/data-packet.js';
import { HNET_FLAGS, STOCK_FLAGS } from '../src-protocol/security/flags.js';
import { NoncePool } from '../src-protocol/security/nonce-pool.js';
import { systemRandom } from '../src-protocol/security/random.js';
import type { SecuritySession } from '../src-protocol/security/session.js';
import { sessionTowards, testIdentity } from '../src-protocol/security/test-peers.js';

const sodium = await wasmSodium();

const PAYLOAD = 1350;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

await initCrypto();

const WARM_UP_CALLS = 2000;

/**
 * Runs `once` in batches for about SECONDS of CPU time (or `maxCalls` calls) and returns calls per
 * CPU-second of this process: the figure for one core, even while other work shares the machine.
 */
function rate(once: () => void, maxCalls = Infinity): number {
  for (let i = 0; i < WARM_UP_CALLS; i++) once(); // so the JIT has settled
  let calls = 0;
  const start = process.cpuUsage();
  for (;;) {
    for (let i = 0; i < 1000; i++) once();
    calls += 1000;
    const used = process.cpuUsage(start);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (cpuSeconds >= SECONDS || calls + WARM_UP_CALLS + 1000 > maxCalls) return calls / cpuSeconds;
  }
}

function report(name: string, perSecond: number, bytesPerCall = PAYLOAD): void {
  const mbit = (perSecond * bytesPerCall * 8) / 1e6;
  const micros = `${(1e6 / perSecond).toFixed(2).padStart(8)} µs`;
  const label = bytesPerCall > 0 ? `  ${mbit.toFixed(0).padStart(6)} Mbit/s of payload` : '';
  console.log(
    `${name.padEnd(48)} ${Math.round(perSecond).toLocaleString('en').padStart(10)} /s${micros}${label}`,
  );
}

const backend = cryptoBackendInfo();
console.log(
  `crypto backend: ${backend.name}, ${backend.description}` +
    (backend.nativeUnavailable ? ` (native did not load: ${backend.nativeUnavailable})` : ''),
);

const key = sodium.crypto_secretbox_keygen();
const payload = new Uint8Array(PAYLOAD).fill(0x5a);
const nonces = new NoncePool(systemRandom);
const packet = new Uint8Array(DATA_OVERHEAD + PAYLOAD);
const opened = new Uint8Array(PAYLOAD);
console.log(`security layer, ${PAYLOAD}-byte payloads, per CPU-second of one core, ${SECONDS} s per figure`);

report(
  'seal, data path (into a caller buffer)',
  rate(() => sealDataInto(packet, 0, key, 1, payload, nonces)),
);
report(
  'open, data path (into a caller buffer)',
  rate(() => {
    if (!openData(packet, key, opened).ok) throw new Error('open failed');
  }),
);

const alice = testIdentity();
const bob = testIdentity();
function connectedPair(flags: bigint): [SecuritySession, SecuritySession] {
  const a = sessionTowards(alice, bob, flags);
  const b = sessionTowards(bob, alice, flags);
  const hello2 = b.receive(a.send(payload, 0).packets[0]!, 0).packets[0]!;
  for (const p of a.receive(hello2, 0).packets) b.receive(p, 0);
  return [a, b];
}
for (const [name, flags] of [
  ['stock peer', STOCK_FLAGS],
  ['hnet peer', HNET_FLAGS],
] as const) {
  const [a, b] = connectedPair(flags);
  report(
    `seal, session.send (${name})`,
    rate(() => a.send(payload, 1)),
  );
  // The engine's way: one buffer per datagram with room for the outer header (0x02 for P2P DATA).
  const datagram = { buffer: new Uint8Array(1 + DATA_OVERHEAD + PAYLOAD), offset: 1 };
  report(
    `seal, session.send into a buffer (${name})`,
    rate(() => a.send(payload, 1, datagram)),
  );
  // Each open needs a packet the replay window has not seen yet: seal a batch first, open it after.
  const batch = Array.from({ length: 100_000 }, () => a.send(payload, 1).packets[0]!);
  let next = 0;
  report(
    `open, session.receive (${name})`,
    rate(() => {
      if (b.receive(batch[next++]!, 1).deliver.length !== 1) throw new Error('not delivered');
    }, batch.length),
  );
}

const zeroNonce = new Uint8Array(24);
const sealedByWrapper = sodium.crypto_secretbox_easy(payload, zeroNonce, key);
report(
  'seal, libsodium-wrappers high-level API',
  rate(() => sodium.crypto_secretbox_easy(payload, zeroNonce, key)),
);
report(
  'open, libsodium-wrappers high-level API',
  rate(() => sodium.crypto_secretbox_open_easy(sealedByWrapper, zeroNonce, key)),
);

// A HELLO's signed part (PROTOCOL.md §2): what every probe costs to sign and to check.
const helloBytes = new Uint8Array(81).fill(0x11);
const helloSignature = sign('ng-p2p-msg', helloBytes, alice.secretKey);
report(
  'sign, 81-byte HELLO',
  rate(() => sign('ng-p2p-msg', helloBytes, alice.secretKey), 50_000),
  0,
);
report(
  'verify, 81-byte HELLO',
  rate(() => {
    if (!verify('ng-p2p-msg', helloBytes, helloSignature, alice.publicKey)) throw new Error('bad signature');
  }, 50_000),
  0,
);

const handshakes = rate(() => connectedPair(HNET_FLAGS));
report('handshakes (both sides, 3 hellos, one core)', handshakes, 0);
