import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { helperAddonPath, loadNative, peerCredentials, socketFd, type PeerCredentials } from './native.js';
import { PACKET_CODE_MARKERS, packetCodeIn } from '../test-packet-markers.js';

const dir = mkdtempSync(join(tmpdir(), 'hnet-native-'));
const socketPath = join(dir, 'test.sock');
const passedFile = join(dir, 'passed.txt');
let server: Server;
let lastPeer: PeerCredentials | undefined;

// A stand-in for the helper: reports who connected and passes an fd of a file it opened.
before(async () => {
  server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    lastPeer = peerCredentials(socket);
    socket.once('data', () => {
      const fd = openSync(passedFile, 'w');
      try {
        const reply = Buffer.from(`${JSON.stringify({ ok: true })}\n`);
        const sent = loadNative().sendWithFd(socketFd(socket), reply, fd);
        socket.end(reply.subarray(sent));
      } finally {
        closeSync(fd);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test('peer credentials name the connecting process, user and groups', async () => {
  const { response, fd } = await loadNative().requestWithFd(socketPath, Buffer.from('hello\n'), 5000);
  closeSync(fd);
  assert.equal(response.toString(), '{"ok":true}\n');
  assert.deepEqual(lastPeer && [lastPeer.pid, lastPeer.uid, lastPeer.gid], [
    process.pid,
    process.getuid!(),
    process.getgid!(),
  ]);
  // Supplementary groups as the kernel keeps them (getgroups() would add the effective gid).
  const supplementary =
    /^Groups:[ \t]*([^\n]*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]?.trim() ?? '';
  assert.deepEqual(lastPeer?.groups, supplementary ? supplementary.split(/\s+/).map(Number) : []);
});

test("a file descriptor passed over the socket refers to the helper's open file", async () => {
  const { fd } = await loadNative().requestWithFd(socketPath, Buffer.from('open\n'), 5000);
  assert.ok(fd >= 0, 'no fd arrived');
  writeSync(fd, 'written through the passed fd');
  closeSync(fd);
  assert.equal(readFileSync(passedFile, 'utf8'), 'written through the passed fd');
});

test('a helper that is not running is reported as such, not as a hang', async () => {
  await assert.rejects(loadNative().requestWithFd(join(dir, 'absent.sock'), Buffer.from('x\n'), 1000), {
    code: 'ENOENT',
  });
});

// The root process loads this addon, so it holds exactly what the helper needs and not one
// function more: a function added to it fails here until this list is changed on purpose.
test('the helper addon exports only TUN open, fd passing, peer credentials and the pipe acceptor', () => {
  const allowed = ['acceptPipeClient', 'openTun', 'peerCredentials', 'requestWithFd', 'sendWithFd'];
  // Windows has no TUN fd to pass: the helper relays the Wintun session itself (wintun-relay.ts).
  if (process.platform === 'win32') allowed.push('TunReader');
  assert.deepEqual(Object.keys(loadNative()).sort(), allowed.sort());
});

test("the helper addon has none of the data plane's code in it", () => {
  assert.deepEqual(packetCodeIn(helperAddonPath), []);
  // The markers are real: the data plane's own addon has every one of them.
  const dataPlane = new URL('../../src-main/native/build/Release/hnet_dataplane.node', import.meta.url);
  assert.deepEqual(packetCodeIn(dataPlane), PACKET_CODE_MARKERS);
});
