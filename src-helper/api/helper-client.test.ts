// The Windows exchange (plain connection, one request line, one reply line, no fd) run on Linux:
// a Unix socket stands in for the control pipe, selected by the client's platform parameter.
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatAddress } from '../../src-protocol/address.js';
import { fromHex, toHex } from '../../src-protocol/bytes.js';
import { initCrypto, verifyDetached } from '../../src-protocol/crypto.js';
import { generateIdentity } from '../../src-protocol/identity.js';
import { NONCE_BYTES, tunProofMessage } from './protocol.js';
import { HelperClient } from './helper-client.js';

const DATA_PIPE = `\\\\.\\pipe\\hnet-tun-${'ab'.repeat(16)}`;

let dir: string;
let server: Server | undefined;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hnet-helper-client-'));
});
after(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

/**
 * A stand-in helper that, like a Windows pipe, never half-closes: it writes its reply and keeps
 * the connection open until the client goes. `answer` sees the request line the client sent.
 */
async function standIn(answer: (request: unknown) => unknown): Promise<string> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  const path = join(dir, `helper-${Math.random().toString(16).slice(2)}.sock`);
  server = createServer((socket: Socket) => {
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) socket.write(`${JSON.stringify(answer(JSON.parse(text.slice(0, newline))))}\n`);
    });
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

test('a status call sends one request line and returns the checked reply', async () => {
  const seen: unknown[] = [];
  const status = {
    version: '1',
    tuns: [],
    hostsFile: 'C:\\Windows\\System32\\drivers\\etc\\hosts',
    managedEntries: 0,
  };
  const path = await standIn((request) => {
    seen.push(request);
    return { ok: true, result: status };
  });
  assert.deepEqual(await new HelperClient(path, 'win32').status(), status);
  assert.deepEqual(seen, [{ op: 'status' }]);
});

test('openTun proves the key behind the address with the nonce it was given, and yields the named data pipe', async () => {
  await initCrypto();
  const identity = generateIdentity();
  const address = formatAddress(identity.address);
  const nonce = 'ab'.repeat(NONCE_BYTES);
  const seen: Record<string, unknown>[] = [];
  const path = await standIn((request) => {
    seen.push(request as Record<string, unknown>);
    return (request as { op: string }).op === 'challenge'
      ? { ok: true, result: { nonce } }
      : { ok: true, result: { name: 'hnet1', address, mtu: 1350, overlayRoute: false, dataPipe: DATA_PIPE } };
  });
  assert.deepEqual(await new HelperClient(path, 'win32').openTunDevice(identity), {
    name: 'hnet1',
    dataPipe: DATA_PIPE,
    overlayRoute: false,
  });
  const [challenge, open] = seen;
  assert.deepEqual(challenge, { op: 'challenge' });
  assert.equal(open?.['publicKey'], toHex(identity.publicKey));
  assert.equal(open?.['nonce'], nonce);
  const signature = fromHex(String(open?.['signature']))!;
  assert.ok(verifyDetached(signature, tunProofMessage(fromHex(nonce)!), identity.publicKey));
});

test('an openTun success naming no data pipe is a bad reply, not a device', async () => {
  const address = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';
  const path = await standIn(() => ({
    ok: true,
    result: { name: 'hnet0', address, mtu: 1350, overlayRoute: true },
  }));
  const reply = await new HelperClient(path, 'win32').call({
    op: 'openTun',
    publicKey: '00'.repeat(32),
    nonce: '00'.repeat(NONCE_BYTES),
    signature: '00'.repeat(64),
    mtu: 1350,
  });
  assert.ok(!reply.ok);
  assert.equal(reply.error.kind, 'BadReply');
});

test("the helper's refusal reaches the caller as its sentence", async () => {
  const message = 'the hnet helper refuses S-1-5-21-1-2-3-1002 (pid 7): not allowed to manage the network';
  const path = await standIn(() => ({ ok: false, error: { kind: 'NotAuthorised', message } }));
  const reply = await new HelperClient(path, 'win32').call({ op: 'status' });
  assert.deepEqual(reply, { ok: false, error: { kind: 'NotAuthorised', message } });
});

test('with no helper listening the caller is told to start the Windows service', async () => {
  const reply = await new HelperClient(join(dir, 'nobody.sock'), 'win32').call({ op: 'status' });
  assert.ok(!reply.ok);
  assert.equal(reply.error.kind, 'HelperNotRunning');
  assert.match(reply.error.message, /start the "hnet helper" service/);
});

let markers = 0;
/**
 * Writes a marker file into `folder` and resolves once a watch of the folder saw it: the kernel
 * reports a folder's changes in order, so by then every change made before it has been reported to
 * every watch of the folder, the client's included — no wait for silence.
 */
async function settled(folder: string): Promise<void> {
  const name = `marker-${++markers}`;
  const watcher = watch(folder);
  const seen = new Promise<void>((resolve) =>
    watcher.on('change', (_event, file) => {
      if (file === name) resolve();
    }),
  );
  await writeFile(join(folder, name), '');
  await seen;
  watcher.close();
  await new Promise((resolve) => setImmediate(resolve));
}

describe("waiting for the helper's socket", () => {
  const listenAt = async (path: string): Promise<Server> => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(path, resolve));
    return listener;
  };

  test('only the socket itself counts: other files in its folder (hnetd.pid, control.sock) do not', async () => {
    const folder = await mkdtemp(join(dir, 'run-'));
    const client = new HelperClient(join(folder, 'helper.sock'));
    let calls = 0;
    const stop = client.watchSocket(client.socketState(), () => calls++);
    assert.ok(stop);
    const control = await listenAt(join(folder, 'control.sock'));
    await writeFile(join(folder, 'hnetd.pid'), '1\n');
    await settled(folder);
    assert.equal(calls, 0);
    const helper = await listenAt(client.socketPath);
    await chmod(client.socketPath, 0o660);
    await settled(folder);
    assert.equal(calls, 1, 'called once, however many changes follow');
    stop();
    control.close();
    helper.close();
  });

  test('a socket that appeared before the watch began is reported, though not before watchSocket returns', async () => {
    const folder = await mkdtemp(join(dir, 'run-'));
    const client = new HelperClient(join(folder, 'helper.sock'));
    const since = client.socketState();
    const helper = await listenAt(client.socketPath);
    let calls = 0;
    const reported = new Promise<void>((resolve) =>
      client.watchSocket(since, () => {
        calls++;
        resolve();
      }),
    );
    assert.equal(calls, 0);
    await reported;
    helper.close();
  });

  test('nothing is reported after the watch was stopped, and a missing folder cannot be watched', async () => {
    const folder = await mkdtemp(join(dir, 'run-'));
    const client = new HelperClient(join(folder, 'helper.sock'));
    let calls = 0;
    client.watchSocket(client.socketState(), () => calls++)?.();
    const helper = await listenAt(client.socketPath);
    await settled(folder);
    assert.equal(calls, 0);
    helper.close();
    const nowhere = new HelperClient(join(folder, 'missing', 'helper.sock'));
    assert.equal(
      nowhere.watchSocket(nowhere.socketState(), () => calls++),
      undefined,
    );
  });
});
