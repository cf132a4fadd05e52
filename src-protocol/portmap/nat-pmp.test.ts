import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex } from '../bytes.js';
import {
  NAT_PMP_ADDRESS_ANSWER,
  NAT_PMP_DELETE_ANSWER,
  NAT_PMP_MAP_ANSWER,
  NAT_PMP_MAP_REQUEST,
  NAT_PMP_NO_ADDRESS_ANSWER,
} from './miniupnpd-captures.js';
import {
  decodeNatPmpResponse,
  encodeNatPmpAddressRequest,
  encodeNatPmpMapRequest,
  natPmpResultText,
} from './nat-pmp.js';

const hex = (text: string) => fromHex(text)!;

function decoded(bytes: Uint8Array) {
  const out = decodeNatPmpResponse(bytes);
  assert.ok(out.ok, out.ok ? '' : out.error.message);
  return out.value;
}

describe('NAT-PMP codec (RFC 6886)', () => {
  test('encodes the two requests byte for byte as a real miniupnpd took them', () => {
    assert.deepEqual(encodeNatPmpAddressRequest(), hex('0000'));
    const map = encodeNatPmpMapRequest({ internalPort: 40004, suggestedExternalPort: 40004, lifetime: 3600 });
    assert.ok(map.ok);
    assert.deepEqual(map.value, hex(NAT_PMP_MAP_REQUEST));
  });

  test("reads miniupnpd's answers: external address, mapping and delete, each with the epoch", () => {
    assert.deepEqual(decoded(hex(NAT_PMP_ADDRESS_ANSWER)), {
      opcode: 'address',
      resultCode: 0,
      epoch: 3,
      externalIp: '198.18.0.2',
    });
    assert.deepEqual(decoded(hex(NAT_PMP_MAP_ANSWER)), {
      opcode: 'map',
      resultCode: 0,
      epoch: 3,
      internalPort: 40004,
      externalPort: 40004,
      lifetime: 3600,
    });
    const deleted = decoded(hex(NAT_PMP_DELETE_ANSWER));
    assert.equal(deleted.opcode === 'map' && deleted.lifetime, 0);
  });

  test('round trip: a map request turned into its answer keeps the ports and lifetime', () => {
    const map = encodeNatPmpMapRequest({ internalPort: 5582, suggestedExternalPort: 41000, lifetime: 7200 });
    assert.ok(map.ok);
    const answer = new Uint8Array(16);
    answer.set([0, 0x81, 0, 0, 0, 0, 0, 9]);
    answer.set(map.value.subarray(4, 12), 8);
    assert.deepEqual(decoded(answer), {
      opcode: 'map',
      resultCode: 0,
      epoch: 9,
      internalPort: 5582,
      externalPort: 41000,
      lifetime: 7200,
    });
  });

  test('an error answer needs only its first 8 bytes and says what went wrong', () => {
    const noAddress = decoded(hex(NAT_PMP_NO_ADDRESS_ANSWER));
    assert.equal(noAddress.resultCode, 3);
    assert.match(natPmpResultText(noAddress.resultCode), /network failure/);
    const short = decoded(hex('0081000200000001'));
    assert.equal(short.resultCode, 2);
    assert.equal(natPmpResultText(42), 'result code 42');
  });

  test('hostile answers are typed errors: truncated success, PCP, unknown opcode, oversized', () => {
    const kind = (bytes: Uint8Array) => {
      const out = decodeNatPmpResponse(bytes);
      return out.ok ? 'ok' : out.error.kind;
    };
    const map = hex(NAT_PMP_MAP_ANSWER);
    for (let length = 0; length < map.length; length++)
      assert.equal(decodeNatPmpResponse(map.subarray(0, length)).ok, false, `cut to ${length} bytes`);
    assert.equal(kind(hex('0080000000000003c612')), 'Truncated');
    assert.equal(kind(hex('0281000000000e10')), 'BadKind');
    assert.equal(kind(hex('0082000000000003')), 'BadKind');
    assert.equal(kind(hex('0000')), 'BadKind');
    assert.equal(kind(new Uint8Array(1101)), 'TooLong');
  });

  test('refuses to encode what is not a request', () => {
    for (const bad of [
      { internalPort: 0, suggestedExternalPort: 0, lifetime: 1 },
      { internalPort: 1, suggestedExternalPort: 65536, lifetime: 1 },
      { internalPort: 1, suggestedExternalPort: 1, lifetime: 2 ** 32 },
    ])
      assert.equal(encodeNatPmpMapRequest(bad).ok, false, JSON.stringify(bad));
  });
});
