import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex } from '../bytes.js';
import {
  PCP_ANNOUNCE_ANSWER,
  PCP_DELETE_ANSWER,
  PCP_DELETE_REQUEST,
  PCP_MAP_ANSWER,
  PCP_MAP_REQUEST,
  PCP_UNSUPPORTED_VERSION_ANSWER,
} from './miniupnpd-captures.js';
import {
  PCP_MAX_MESSAGE,
  answersPcpMapRequest,
  decodePcpResponse,
  encodePcpMapRequest,
  pcpResultText,
  type PcpMapRequest,
} from './pcp.js';

const hex = (text: string) => fromHex(text)!;
const nonce = hex('e5c02786d4f7b282d83c94a4');
const request: PcpMapRequest = {
  clientIp: '198.18.1.2',
  lifetime: 3600,
  nonce,
  internalPort: 40001,
  suggestedExternalPort: 40001,
};

function encoded(r: PcpMapRequest): Uint8Array {
  const out = encodePcpMapRequest(r);
  assert.ok(out.ok, out.ok ? '' : out.error.message);
  return out.value;
}

function decoded(text: string) {
  const out = decodePcpResponse(hex(text));
  assert.ok(out.ok, out.ok ? '' : out.error.message);
  return out.value;
}

describe('PCP MAP codec (RFC 6887)', () => {
  test('encodes byte for byte the request a real miniupnpd accepted, and the delete with lifetime 0', () => {
    assert.deepEqual(encoded(request), hex(PCP_MAP_REQUEST));
    assert.deepEqual(encoded({ ...request, lifetime: 0 }), hex(PCP_DELETE_REQUEST));
  });

  test("reads miniupnpd's answer: success, lifetime, epoch and the external endpoint", () => {
    const answer = decoded(PCP_MAP_ANSWER);
    assert.equal(answer.resultCode, 0);
    assert.equal(answer.lifetime, 3600);
    assert.equal(answer.epoch, 3);
    assert.equal(answer.map?.externalIp, '198.18.0.2');
    assert.equal(answer.map?.externalPort, 40001);
    assert.ok(answersPcpMapRequest(answer, request));
    assert.equal(decoded(PCP_DELETE_ANSWER).lifetime, 0);
  });

  test('an answer to another mapping (other nonce or port) is not an answer to ours', () => {
    const answer = decoded(PCP_MAP_ANSWER);
    assert.equal(answersPcpMapRequest(answer, { ...request, nonce: new Uint8Array(12) }), false);
    assert.equal(answersPcpMapRequest(answer, { ...request, internalPort: 40002 }), false);
  });

  test('round trip: a request answered by echoing it back as a response decodes to the same mapping', () => {
    const sent = {
      ...request,
      clientIp: '2001:db8::7',
      suggestedExternalIp: '2001:db8::7',
      internalPort: 5582,
    };
    const bytes = encoded(sent);
    bytes[1]! |= 0x80;
    const answer = decodePcpResponse(bytes);
    assert.ok(answer.ok);
    assert.deepEqual(answer.value.map?.nonce, nonce);
    assert.equal(answer.value.map?.externalIp, '2001:db8::7');
    assert.equal(answer.value.map?.internalPort, 5582);
    assert.ok(answersPcpMapRequest(answer.value, sent));
  });

  test('an IPv4 client with no preference suggests ::ffff:0.0.0.0, an IPv6 one ::', () => {
    assert.deepEqual(encoded(request).subarray(44, 60), hex('00000000000000000000ffff00000000'));
    assert.deepEqual(encoded({ ...request, clientIp: '2001:db8::1' }).subarray(44, 60), new Uint8Array(16));
  });

  test('error answers carry their code; a short one still answers (the router could not read ours)', () => {
    const refused = decoded(PCP_UNSUPPORTED_VERSION_ANSWER);
    assert.equal(refused.resultCode, 1);
    assert.equal(pcpResultText(refused.resultCode), 'unsupported version');
    const short = decoded('028100020000000000000009000000000000000000000000');
    assert.equal(short.resultCode, 2);
    assert.equal(short.map, undefined);
    assert.ok(answersPcpMapRequest(short, request));
    assert.equal(pcpResultText(99), 'result code 99');
  });

  test('an ANNOUNCE answer is read as opcode 0 with its epoch and no mapping', () => {
    const announce = decoded(PCP_ANNOUNCE_ANSWER);
    assert.equal(announce.opcode, 0);
    assert.equal(announce.epoch, 3);
    assert.equal(answersPcpMapRequest(announce, request), false);
  });

  test('hostile answers are typed errors: truncated, oversized, misaligned, NAT-PMP, or a request', () => {
    const answer = hex(PCP_MAP_ANSWER);
    for (let length = 0; length < answer.length; length++) {
      const out = decodePcpResponse(answer.subarray(0, length));
      assert.equal(out.ok, false, `a successful answer cut to ${length} bytes`);
    }
    const kind = (bytes: Uint8Array) => {
      const out = decodePcpResponse(bytes);
      return out.ok ? 'ok' : out.error.kind;
    };
    assert.equal(kind(new Uint8Array(PCP_MAX_MESSAGE + 4).fill(2)), 'TooLong');
    assert.equal(kind(answer.subarray(0, 58)), 'BadLength');
    assert.equal(kind(hex('0081000100000000')), 'BadKind');
    assert.equal(kind(hex(PCP_MAP_REQUEST)), 'BadKind');
  });

  test('refuses to encode what is not a request: bad address, nonce, port or lifetime', () => {
    for (const bad of [
      { clientIp: 'router' },
      { nonce: new Uint8Array(11) },
      { internalPort: 0 },
      { suggestedExternalPort: 70000 },
      { lifetime: -1 },
      { suggestedExternalIp: '1.2.3' },
    ])
      assert.equal(encodePcpMapRequest({ ...request, ...bad }).ok, false, JSON.stringify(bad));
  });
});
