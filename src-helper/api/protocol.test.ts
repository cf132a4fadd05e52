import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReply, parseRequest } from './protocol.js';

const ADDRESS = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';

test('addresses are accepted in any spelling inside fc94::/16 and written in full form', () => {
  const parsed = parseRequest(
    JSON.stringify({ op: 'writeHosts', entries: [{ address: 'FC94::1', hostname: 'a' }] }),
  );
  assert.deepEqual(parsed.ok && parsed.result, {
    op: 'writeHosts',
    entries: [{ address: 'fc94:0000:0000:0000:0000:0000:0000:0001', hostname: 'a' }],
  });
});

test('hostile hostnames are refused', () => {
  for (const hostname of ['', '-rf', '.x', 'a b', 'a\nb', 'a#b', 'ä', 'x'.repeat(254), 'a/../b']) {
    const parsed = parseRequest(
      JSON.stringify({ op: 'writeHosts', entries: [{ address: ADDRESS, hostname }] }),
    );
    assert.equal(parsed.ok, false, hostname);
    assert.match(parsed.ok ? '' : parsed.error.message, /hostname/);
  }
  assert.equal(
    parseRequest(
      JSON.stringify({ op: 'writeHosts', entries: [{ address: ADDRESS, hostname: 'x'.repeat(253) }] }),
    ).ok,
    true,
  );
});

test('addresses outside the overlay are refused', () => {
  for (const address of ['::1', 'fe80::1', 'fc95::1', '127.0.0.1', 'fc94::1 evil', 'fc94::1%eth0']) {
    const parsed = parseRequest(JSON.stringify({ op: 'writeHosts', entries: [{ address, hostname: 'a' }] }));
    assert.equal(parsed.ok, false, address);
  }
});

test('the entry count is bounded', () => {
  const entries = Array.from({ length: 4097 }, () => ({ address: ADDRESS, hostname: 'a' }));
  assert.equal(parseRequest(JSON.stringify({ op: 'writeHosts', entries })).ok, false);
});

test('interface names must be short lowercase alphanumerics', () => {
  for (const name of ['hnet0', 'a', 'x'.repeat(15)]) {
    assert.equal(parseRequest(JSON.stringify({ op: 'closeTun', name })).ok, true, name);
  }
  for (const name of ['', 'x'.repeat(16), 'HNET0', '-h', 'eth0;rm', '../x', 'hnet 0']) {
    assert.equal(parseRequest(JSON.stringify({ op: 'closeTun', name })).ok, false, name);
  }
});

test('operations outside the closed set are refused by name', () => {
  const parsed = parseRequest(JSON.stringify({ op: 'runCommand', argv: ['sh'] }));
  assert.equal(parsed.ok, false);
  assert.equal(parsed.ok ? '' : parsed.error.kind, 'UnknownOperation');
  assert.match(
    parsed.ok ? '' : parsed.error.message,
    /only performs challenge, openTun, closeTun, writeHosts, status/,
  );
  assert.equal(parseRequest('{"op":"__proto__"}').ok, false);
  assert.equal(parseRequest('not json').ok, false);
});

test('openTun names no device and no address: the helper picks the name and derives the address from the key', () => {
  const proof = { publicKey: 'ab'.repeat(32), nonce: 'cd'.repeat(32), signature: 'ef'.repeat(64), mtu: 1350 };
  assert.equal(parseRequest(JSON.stringify({ op: 'openTun', ...proof })).ok, true);
  const oldForm = { op: 'openTun', name: 'evil0', address: ADDRESS, mtu: 1350 };
  assert.equal(parseRequest(JSON.stringify(oldForm)).ok, false);
  assert.equal(parseRequest(JSON.stringify({ op: 'openTun', ...proof, name: 'hnet0' })).ok, false);
  assert.equal(
    parseRequest(JSON.stringify({ op: 'openTun', ...proof, publicKey: 'AB'.repeat(32) })).ok,
    false,
  );
});

test('a reply of the wrong shape is reported as a helper of another version', () => {
  const reply = parseReply('writeHosts', JSON.stringify({ ok: true, result: { count: 1 } }));
  assert.equal(reply.ok ? '' : reply.error.kind, 'BadReply');
});
