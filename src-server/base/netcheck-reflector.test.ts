// The base answers hnet's netcheck probe on its STATE port and on one more port that STATE never
// names, so a device can compare what two ports saw while stock clients see nothing new.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import { generateIdentity } from '../../src-protocol/identity.js';
import {
  decodeNetcheckAnswer,
  encodeNetcheckProbe,
  type NetcheckAnswer,
} from '../../src-protocol/netcheck-probe.js';
import { loopbackBases } from './test-loopback.js';

const { startServer, client, closeAll } = loopbackBases();
let socket: Socket;

before(async () => {
  await initCrypto();
  socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
});

after(async () => {
  socket.close();
  await closeAll();
});

async function probe(to: Endpoint): Promise<{ answer: NetcheckAnswer; from: number }> {
  const txid = crypto.getRandomValues(new Uint8Array(12));
  const sent = encodeNetcheckProbe(txid);
  assert.ok(sent.ok);
  const reply = once(socket, 'message', { signal: AbortSignal.timeout(2_000) });
  socket.send(sent.value, to.port, to.ip);
  const [message, from] = (await reply) as [Buffer, { port: number }];
  const decoded = decodeNetcheckAnswer(message);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
  assert.deepEqual(Uint8Array.from(decoded.value.txid), txid);
  return { answer: decoded.value, from: from.port };
}

describe('the netcheck probe on a base server', () => {
  test('both ports answer from themselves with the source they saw; the STATE port names the other', async () => {
    const server = await startServer();
    const main = server.udpAddresses[0]!;
    const extra = server.netcheckAddress;
    assert.ok(extra && extra.port !== main.port, 'a second UDP port by default');
    const own = { ip: '127.0.0.1', port: socket.address().port };
    const first = await probe(main);
    assert.equal(first.from, main.port);
    assert.deepEqual(first.answer.observed, own);
    assert.deepEqual(first.answer.ports, [extra.port]);
    const second = await probe(extra);
    assert.equal(second.from, extra.port);
    assert.deepEqual(second.answer.observed, own);
    assert.deepEqual(second.answer.ports, []);
  });

  test('STATE, which stock clients read, names only the base UDP address', async () => {
    const server = await startServer();
    const device = await client(server, generateIdentity());
    assert.deepEqual(await device.register(), [{ ip: '127.0.0.1', port: server.udpAddresses[0]!.port }]);
  });

  test('switched off, there is no second port and the STATE port names none', async () => {
    const server = await startServer({}, { netcheckUdp: null });
    assert.equal(server.netcheckAddress, undefined);
    assert.deepEqual((await probe(server.udpAddresses[0]!)).answer.ports, []);
  });
});
