// A cache of pre-generated identities for load benchmarks. A valid key takes ~1300 Ed25519 key
// generations, so 10,000 clients cost minutes of CPU: generate once on every core, keep the pool
// under os.tmpdir() and grow it on demand.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { addressFromPublicKey } from '../src-protocol/address.js';
import type { Identity } from '../src-protocol/identity.js';

const poolFile = join(tmpdir(), 'hnet-bench-identities-v1.txt');

// Plain JavaScript, so the worker threads need no TypeScript loader. libsodium (sodium-native, the
// engine's own) makes a key pair from a seed ten times faster than node:crypto's generateKeyPairSync
// with its DER exports, whose raw 32-byte keys sit at their ends; node:crypto is the fallback.
const workerSource = `
const { createHash, generateKeyPairSync, randomFillSync } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const tail = (der) => der.subarray(der.length - 32);
let sodium;
try { sodium = workerData.sodium && require(workerData.sodium); } catch {}
const pub = Buffer.alloc(32), secret = Buffer.alloc(64), seed = Buffer.alloc(32);
function pair() {
  if (sodium) {
    randomFillSync(seed);
    sodium.crypto_sign_seed_keypair(pub, secret, seed);
    return [pub, seed];
  }
  const made = generateKeyPairSync('ed25519');
  return [tail(made.publicKey.export({ format: 'der', type: 'spki' })), tail(made.privateKey.export({ format: 'der', type: 'pkcs8' }))];
}
for (let made = 0; made < workerData.count; ) {
  const [key, keySeed] = pair();
  const h = createHash('sha256').update(key).digest();
  if (h[0] !== 0 || h[1] >= 50) continue;
  parentPort.postMessage(key.toString('hex') + ' ' + keySeed.toString('hex'));
  made++;
}
`;

/** sodium-native's entry point for the workers, if it is installed. */
function sodiumPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('sodium-native');
  } catch {
    return undefined;
  }
}

function readPool(): Identity[] {
  if (!existsSync(poolFile)) return [];
  const out: Identity[] = [];
  for (const line of readFileSync(poolFile, 'utf8').split('\n')) {
    const [pubHex, seedHex] = line.split(' ');
    if (pubHex?.length !== 64 || seedHex?.length !== 64) continue;
    const publicKey = new Uint8Array(Buffer.from(pubHex, 'hex'));
    const secretKey = new Uint8Array(64);
    secretKey.set(Buffer.from(seedHex, 'hex'), 0);
    secretKey.set(publicKey, 32);
    const address = addressFromPublicKey(publicKey);
    if (address) out.push({ address, publicKey, secretKey });
  }
  return out;
}

/** `count` distinct identities, generated once and then read from the cache. */
export async function identityPool(
  count: number,
  log: (line: string) => void = () => {},
): Promise<Identity[]> {
  const have = readPool();
  const missing = count - have.length;
  if (missing <= 0) return have.slice(0, count);
  const workers = Math.max(1, availableParallelism());
  log(`generating ${missing} identities on ${workers} threads (cached in ${poolFile}) …`);
  const started = Date.now();
  let made = 0;
  await Promise.all(
    Array.from({ length: workers }, (_, i) => {
      const share = Math.floor(missing / workers) + (i < missing % workers ? 1 : 0);
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(workerSource, {
          eval: true,
          workerData: { count: share, sodium: sodiumPath() },
        });
        worker.on('message', (line: string) => {
          // Appending as we go keeps the work of an interrupted run.
          appendFileSync(poolFile, `${line}\n`);
          made++;
          if (made % 500 === 0)
            log(`  ${made}/${missing} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        });
        worker.on('error', reject);
        worker.on('exit', () => resolve());
      });
    }),
  );
  return readPool().slice(0, count);
}
