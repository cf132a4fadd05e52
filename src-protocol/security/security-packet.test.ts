import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex } from '../bytes.js';
import { DATA_OVERHEAD } from './data-packet.js';
import { classifySecurityPacket, MAX_SECURITY_PACKET } from './security-packet.js';

// A P2P DATA datagram from a stock Husarnet 2.0.343 daemon carrying a ping (src-protocol/vectors).
const stockP2pData = fromHex(
  '0200382f9ae52b904c2e476b17f1def9733f93908c1db2ef5b25f734bdd366b6e78659320586bc60924bd63c3ec4eacab60b0d7fe979cf3b976d4b667fb286d0ff8eeaf8706852147a0d2d7abebbb9b132ffa09555ea5804ac6c731f63f69154e5d7b0e70edd6e33d8fc61a4b60ba4dc0ab809',
)!;

const kindOf = (bytes: Uint8Array): string => {
  const result = classifySecurityPacket(bytes);
  return result.ok ? result.value.kind : result.error.kind;
};

describe('security packet kinds', () => {
  test('sorts packets by their first byte and refuses sizes no such packet has', () => {
    assert.equal(kindOf(new Uint8Array(100)), 'data');
    assert.equal(kindOf(new Uint8Array(49)), 'Truncated', 'a data packet without payload');
    assert.equal(kindOf(Uint8Array.from([2, ...new Uint8Array(168)])), 'hello');
    assert.equal(kindOf(Uint8Array.from([3, ...new Uint8Array(100)])), 'BadLength');
    assert.equal(kindOf(Uint8Array.from([4, 1, 2, 3, 4, 5, 6, 7, 8])), 'heartbeat-ping');
    assert.equal(kindOf(Uint8Array.from([5, 1, 2, 3, 4, 5, 6, 7, 8])), 'heartbeat-reply');
    assert.equal(kindOf(Uint8Array.from([4, 1, 2])), 'BadLength');
    assert.equal(kindOf(Uint8Array.from([6, 0, 0])), 'BadKind');
    assert.equal(kindOf(new Uint8Array(0)), 'Truncated');
  });

  test('a stock data packet has our overhead: a compressed 64-byte ICMPv6 echo plus 49 bytes', () => {
    const security = stockP2pData.subarray(1);
    assert.equal(kindOf(security), 'data');
    assert.equal(security.length - DATA_OVERHEAD, 1 + 64);
  });

  test('drops anything of 2000 bytes or more, as stock peers do', () => {
    assert.equal(kindOf(new Uint8Array(MAX_SECURITY_PACKET - 1)), 'data');
    assert.equal(kindOf(new Uint8Array(MAX_SECURITY_PACKET)), 'TooLong');
  });
});
