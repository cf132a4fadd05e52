// Whatever a router (or anything pretending to be one) sends, the port-mapping decoders answer with
// a value or a typed error and never throw: random bytes, and real miniupnpd answers mangled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '../bytes.js';
import type { Result } from '../result.js';
import { findWanConnections } from './igd-description.js';
import { decodeSoapReply, soapAddAnyPortMapping, soapGetExternalIpAddress } from './igd-soap.js';
import * as captures from './miniupnpd-captures.js';
import { decodeNatPmpResponse } from './nat-pmp.js';
import { decodePcpResponse } from './pcp.js';
import { decodeSsdpAnswer } from './ssdp.js';

const latin1 = new TextDecoder('latin1');
const v2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';

const decoders: [string, (bytes: Uint8Array) => Result<unknown>][] = [
  ['PCP', decodePcpResponse],
  ['NAT-PMP', decodeNatPmpResponse],
  ['SSDP', decodeSsdpAnswer],
  ['description', (b) => findWanConnections(latin1.decode(b), 'http://198.18.1.1:1/d.xml', '198.18.1.1')],
  ['SOAP 200', (b) => decodeSoapReply(soapGetExternalIpAddress(v2), 200, latin1.decode(b))],
  [
    'SOAP 500',
    (b) =>
      decodeSoapReply(
        soapAddAnyPortMapping(v2, {
          externalPort: 1,
          internalPort: 1,
          internalClient: '1.2.3.4',
          description: '',
          leaseSeconds: 0,
        }),
        500,
        latin1.decode(b),
      ),
  ],
];

const samples: Uint8Array[] = Object.values(captures).map((text) =>
  /^[0-9a-f]+$/.test(text) ? fromHex(text)! : new TextEncoder().encode(text),
);

function assertTyped(result: Result<unknown>, what: string): void {
  assert.equal(typeof result.ok, 'boolean', what);
  if (!result.ok) {
    assert.equal(typeof result.error.kind, 'string', what);
    assert.equal(typeof result.error.message, 'string', what);
  }
}

function mangle(sample: Uint8Array, at: number, bytes: Uint8Array, cut: number): Uint8Array {
  const out = new Uint8Array(sample.length + bytes.length);
  const split = at % (sample.length + 1);
  out.set(sample.subarray(0, split));
  out.set(bytes, split);
  out.set(sample.subarray(split), split + bytes.length);
  return out.subarray(0, out.length - (cut % (out.length + 1)));
}

describe('port-mapping decoders on hostile input', () => {
  for (const [name, decode] of decoders) {
    test(`${name}: random bytes and mangled real answers give a value or a typed error`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => assertTyped(decode(bytes), name)),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(
          fc.constantFrom(...samples),
          fc.nat(),
          fc.uint8Array({ maxLength: 32 }),
          fc.nat(),
          (sample, at, bytes, cut) => assertTyped(decode(mangle(sample, at, bytes, cut)), name),
        ),
        { numRuns: 300 },
      );
    });
  }
});
