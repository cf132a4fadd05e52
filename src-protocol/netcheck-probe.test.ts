// hnet's netcheck probe: what a device sends and what a base answers, byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeNetcheckAnswer,
  encodeNetcheckAnswer,
  encodeNetcheckProbe,
  NETCHECK_PROBE_LENGTH,
  netcheckProbeTxid,
} from './netcheck-probe.js';

const txid = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

test('a probe is 64 bytes and carries its transaction id back out', () => {
  const probe = encodeNetcheckProbe(txid);
  assert.ok(probe.ok);
  assert.equal(probe.value.length, NETCHECK_PROBE_LENGTH);
  assert.deepEqual(netcheckProbeTxid(probe.value), txid);
});

test('anything else is not a probe: other kinds, other lengths, another magic', () => {
  const probe = encodeNetcheckProbe(txid);
  assert.ok(probe.ok);
  assert.equal(netcheckProbeTxid(probe.value.subarray(0, 63)), undefined);
  const wrongMagic = probe.value.slice();
  wrongMagic[3] = wrongMagic[3]! ^ 1;
  assert.equal(netcheckProbeTxid(wrongMagic), undefined);
  // A NAT_INIT starts with 3; base DATA with 1.
  assert.equal(netcheckProbeTxid(new Uint8Array(64).fill(3)), undefined);
});

test('an answer names the observed endpoint and the other ports, and is never longer than the probe', () => {
  const answer = encodeNetcheckAnswer({
    txid,
    observed: { ip: '203.0.113.5', port: 40123 },
    ports: [5582, 6000, 7000, 8000],
  });
  assert.ok(answer.ok);
  assert.ok(answer.value.length <= NETCHECK_PROBE_LENGTH);
  const decoded = decodeNetcheckAnswer(answer.value);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value.txid, txid);
  assert.deepEqual(decoded.value.observed, { ip: '203.0.113.5', port: 40123 });
  assert.deepEqual(decoded.value.ports, [5582, 6000, 7000, 8000]);
  const v6 = encodeNetcheckAnswer({ txid, observed: { ip: '2001:db8::7', port: 5582 }, ports: [] });
  assert.ok(v6.ok);
  const back = decodeNetcheckAnswer(v6.value);
  assert.ok(back.ok);
  assert.deepEqual(back.value.observed, { ip: '2001:db8::7', port: 5582 });
});

test('a damaged answer is refused, not misread', () => {
  const answer = encodeNetcheckAnswer({ txid, observed: { ip: '198.51.100.1', port: 1 }, ports: [2] });
  assert.ok(answer.ok);
  for (const length of [1, 9, 21, 39, answer.value.length - 1])
    assert.equal(decodeNetcheckAnswer(answer.value.subarray(0, length)).ok, false, `cut at ${length}`);
  assert.equal(decodeNetcheckAnswer(Uint8Array.of(...answer.value, 0)).ok, false);
  assert.equal(
    encodeNetcheckAnswer({ txid, observed: { ip: '1.2.3.4', port: 1 }, ports: [1, 2, 3, 4, 5] }).ok,
    false,
  );
});
