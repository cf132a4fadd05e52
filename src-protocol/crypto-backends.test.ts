// The two libsodium builds must be interchangeable: a node on the native build and one on the
// WebAssembly fallback exchange packets and check each other's signatures.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { CryptoBackend, CryptoBackendName } from './crypto-backend.js';
import { cryptoBackendInfo, initCrypto, wasmSodium, useCryptoBackend } from './crypto.js';
import { loadNativeSodium } from './native-sodium.js';
import { DATA_OVERHEAD, MAX_DATA_PAYLOAD, openData, sealData } from './security/data-packet.js';
import { NoncePool } from './security/nonce-pool.js';
import { seededRandom } from './security/test-peers.js';
import { loadWasmSodium } from './wasm-sodium.js';

const sodium = await wasmSodium();

const run = promisify(execFile);

/** Why the native build cannot be compared here, or undefined when it loads. */
let nativeMissing: string | undefined;
let native: CryptoBackend;
let wasm: CryptoBackend;
let initial: CryptoBackendName;

try {
  native = loadNativeSodium();
} catch (error) {
  nativeMissing = `sodium-native has no working prebuild on ${process.platform}-${process.arch}: ${String(error)}`;
}

before(async () => {
  await initCrypto();
  initial = cryptoBackendInfo().name;
  wasm = await loadWasmSodium();
});
after(() => useCryptoBackend(initial));

const bytesOf = (label: string, length: number): Uint8Array => {
  const bytes = new Uint8Array(length);
  seededRandom(label)(bytes);
  return bytes;
};

/** A process of its own, since each process picks its backend once. */
async function backendChosenWith(variable: string | undefined): Promise<string> {
  const env = { ...process.env };
  if (variable === undefined) delete env.HNET_CRYPTO_BACKEND;
  else env.HNET_CRYPTO_BACKEND = variable;
  const script = `const c = await import(${JSON.stringify(new URL('./crypto.ts', import.meta.url).href)});
    try { await c.initCrypto(); console.log(c.cryptoBackendInfo().name); } catch (e) { console.log(e.message); }`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env,
  });
  return stdout.trim();
}

describe('crypto backends', () => {
  test('a process uses the native build where it loads, and HNET_CRYPTO_BACKEND can choose', async () => {
    const [unset, forcedWasm, forcedNative, bogus] = await Promise.all(
      [undefined, 'wasm', 'native', 'fast'].map(backendChosenWith),
    );
    assert.equal(unset, nativeMissing ? 'wasm' : 'native');
    assert.equal(forcedWasm, 'wasm');
    assert.equal(
      forcedNative,
      nativeMissing ? 'HNET_CRYPTO_BACKEND=native, but sodium-native does not load here.' : 'native',
    );
    assert.equal(bogus, 'HNET_CRYPTO_BACKEND is "fast"; set it to native or wasm, or leave it unset.');
  });

  test(
    'the native build loads its prebuilt addon without require-addon’s resolver (CPU at every start)',
    { skip: nativeMissing },
    async () => {
      const script = `const c = await import(${JSON.stringify(new URL('./crypto.ts', import.meta.url).href)});
      await c.initCrypto();
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(c.cryptoBackendInfo().name, loaded.some((path) => path.includes('/require-addon/')));`;
      const { stdout } = await run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ]);
      assert.equal(stdout.trim(), 'native false');
    },
  );

  test(
    'data packets sealed by either build are the same bytes and open with the other',
    { skip: nativeMissing },
    async () => {
      for (const length of [1, 100, 1350, MAX_DATA_PAYLOAD]) {
        for (const seq of [0, 1, 0x0102030405, Number.MAX_SAFE_INTEGER]) {
          const payload = bytesOf(`payload ${length}`, length);
          const key = bytesOf(`key ${length} ${seq}`, 32);
          const sealed = new Map<CryptoBackendName, Uint8Array>();
          for (const name of ['native', 'wasm'] as const) {
            await useCryptoBackend(name);
            assert.equal(cryptoBackendInfo().name, name);
            // The same nonce source on both sides, so the packets must match byte for byte.
            sealed.set(name, sealData(key, seq, payload, new NoncePool(seededRandom(`nonces ${length}`))));
          }
          const [byNative, byWasm] = [sealed.get('native')!, sealed.get('wasm')!];
          assert.equal(byNative.length, DATA_OVERHEAD + length);
          assert.deepEqual(byNative, byWasm);
          for (const name of ['native', 'wasm'] as const) {
            await useCryptoBackend(name);
            const other = name === 'native' ? byWasm : byNative;
            const opened = openData(other, key);
            assert.ok(opened.ok, `${name} opens the other's packet`);
            assert.equal(opened.value.seq, seq);
            assert.deepEqual(opened.value.payload, payload);
            const bent = other.slice();
            bent[bent.length - 1]! ^= 1;
            const refused = openData(bent, key);
            assert.ok(!refused.ok && refused.error.kind === 'DecryptFailed', `${name} refuses a bent packet`);
          }
        }
      }
    },
  );

  test(
    'Ed25519 keys and signatures are the same bytes from both builds and verify across them',
    { skip: nativeMissing },
    () => {
      for (let i = 0; i < 8; i++) {
        const seed = bytesOf(`seed ${i}`, 32);
        const pair = native.signKeyPair(seed);
        assert.deepEqual(wasm.signKeyPair(seed), pair);
        const message = bytesOf(`message ${i}`, i * 37);
        const signature = native.signDetached(message, pair.secretKey);
        assert.deepEqual(wasm.signDetached(message, pair.secretKey), signature);
        const bent = signature.slice();
        bent[i]! ^= 0x40;
        for (const backend of [native, wasm]) {
          assert.ok(backend.verifyDetached(signature, message, pair.publicKey), `${backend.name} verifies`);
          assert.ok(
            !backend.verifyDetached(bent, message, pair.publicKey),
            `${backend.name} refuses a bent one`,
          );
          // All zeros decodes to a point of small order, which libsodium refuses as a signer's key.
          assert.ok(
            !backend.verifyDetached(signature, message, new Uint8Array(32)),
            `${backend.name}, zero key`,
          );
        }
      }
    },
  );

  test(
    'key exchange gives the same session keys on both builds and refuses a low-order key',
    { skip: nativeMissing },
    () => {
      const clientSeed = bytesOf('kx client', 32);
      const serverSeed = bytesOf('kx server', 32);
      const client = native.kxKeyPair(clientSeed);
      const server = native.kxKeyPair(serverSeed);
      assert.deepEqual(wasm.kxKeyPair(clientSeed), client);
      assert.deepEqual(wasm.kxKeyPair(serverSeed), server);
      // The reference: libsodium-wrappers' own high-level crypto_kx.
      const expected = sodium.crypto_kx_client_session_keys(
        client.publicKey,
        client.secretKey,
        server.publicKey,
      );
      for (const backend of [native, wasm]) {
        const asClient = backend.kxSessionKeys('client', client, server.publicKey);
        const asServer = backend.kxSessionKeys('server', server, client.publicKey);
        assert.deepEqual(asClient, { rx: expected.sharedRx, tx: expected.sharedTx }, backend.name);
        assert.deepEqual(asServer, { rx: expected.sharedTx, tx: expected.sharedRx }, backend.name);
        assert.equal(backend.kxSessionKeys('client', client, new Uint8Array(32)), undefined, backend.name);
      }
    },
  );

  test('the WebAssembly build keeps working after its memory grows under it', async () => {
    await useCryptoBackend('wasm');
    const emscripten = (
      sodium as unknown as {
        libsodium: { HEAPU8: Uint8Array; _malloc(n: number): number; _free(p: number): void };
      }
    ).libsodium;
    const key = bytesOf('growth key', 32);
    const nonces = new NoncePool(seededRandom('growth nonces'));
    const before = sealData(key, 1, bytesOf('small', 10), nonces);
    const bufferBefore = emscripten.HEAPU8.buffer;
    const big = emscripten._malloc(emscripten.HEAPU8.length * 2);
    try {
      assert.notEqual(emscripten.HEAPU8.buffer, bufferBefore, 'the allocation should have grown the heap');
      const payload = bytesOf('large', 1350);
      const packet = sealData(key, 2, payload, nonces);
      assert.deepEqual(
        sodium.crypto_secretbox_open_easy(packet.subarray(25), packet.subarray(1, 25), key).subarray(8),
        payload,
      );
      const opened = openData(before, key);
      assert.ok(opened.ok && opened.value.seq === 1);
    } finally {
      emscripten._free(big);
    }
  });

  test('the WebAssembly build refuses a buffer larger than its scratch instead of writing past it', () => {
    const nonce = new Uint8Array(24);
    const key = new Uint8Array(32);
    assert.throws(
      () => wasm.secretboxSeal(new Uint8Array(4016), new Uint8Array(4000), nonce, key),
      RangeError,
    );
    assert.throws(() => wasm.secretboxOpen(new Uint8Array(10), new Uint8Array(30), nonce, key), RangeError);
  });
});

describe('the native build', { skip: nativeMissing }, () => {
  test('reads signatures, messages and keys from views at any offset in a larger buffer', () => {
    const pair = native.signKeyPair(bytesOf('view seed', 32));
    const message = bytesOf('view message', 100);
    const signature = native.signDetached(message, pair.secretKey);
    const packet = new Uint8Array(3 + 64 + 100 + 32);
    packet.set(signature, 3);
    packet.set(message, 67);
    packet.set(pair.publicKey, 167);
    const [inSignature, inMessage, inKey] = [
      packet.subarray(3, 67),
      packet.subarray(67, 167),
      packet.subarray(167),
    ];
    assert.ok(native.verifyDetached(inSignature, inMessage, inKey));
    packet[100]! ^= 1;
    assert.ok(!native.verifyDetached(inSignature, inMessage, inKey), 'a changed byte inside the view counts');
  });

  // Its addon checks no size itself: a short key or nonce would be read past its end.
  test('refuses arguments of the wrong size instead of reading or writing past them', () => {
    const [nonce, key, seed] = [new Uint8Array(24), new Uint8Array(32), new Uint8Array(32)];
    assert.throws(
      () => native.secretboxSeal(new Uint8Array(26), new Uint8Array(10), nonce, key.subarray(1)),
      RangeError,
    );
    assert.throws(() => native.secretboxSeal(new Uint8Array(20), new Uint8Array(10), nonce, key), RangeError);
    assert.throws(
      () => native.secretboxOpen(new Uint8Array(10), new Uint8Array(26), nonce.subarray(8), key),
      RangeError,
    );
    assert.throws(() => native.secretboxOpen(new Uint8Array(0), new Uint8Array(8), nonce, key), RangeError);
    assert.throws(() => native.signKeyPair(seed.subarray(0, 16)), RangeError);
    assert.throws(() => native.signDetached(new Uint8Array(5), new Uint8Array(32)), RangeError);
    assert.throws(() => native.kxKeyPair(seed.subarray(4)), RangeError);
    const own = native.kxKeyPair(seed);
    assert.equal(native.kxSessionKeys('client', own, new Uint8Array(31)), undefined);
  });
});
