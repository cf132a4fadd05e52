import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SOAP_RESPONSE_MAX,
  decodeSoapReply,
  externalIpv4,
  portNumber,
  soapAddAnyPortMapping,
  soapAddPortMapping,
  soapDeletePortMapping,
  soapGetExternalIpAddress,
  type SoapReply,
} from './igd-soap.js';
import {
  SOAP_ADD_ANY_PORT_MAPPING_ANSWER,
  SOAP_ADD_PORT_MAPPING_ANSWER,
  SOAP_CONFLICT_ANSWER,
  SOAP_DELETE_PORT_MAPPING_ANSWER,
  SOAP_GET_EXTERNAL_IP_ANSWER,
} from './miniupnpd-captures.js';
import { elementText } from './xml-text.js';

const v2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
const mapping = {
  externalPort: 40002,
  internalPort: 40002,
  internalClient: '198.18.1.2',
  description: 'hnet',
  leaseSeconds: 3600,
};

function reply(...args: Parameters<typeof decodeSoapReply>): SoapReply {
  const out = decodeSoapReply(...args);
  assert.ok(out.ok, out.ok ? '' : out.error.message);
  return out.value;
}

describe('IGD SOAP actions', () => {
  test('AddPortMapping carries its eight arguments in the order of the service description', () => {
    const call = soapAddPortMapping(v2, mapping);
    assert.equal(call.soapAction, `"${v2}#AddPortMapping"`);
    assert.match(
      call.body,
      new RegExp(
        `<s:Body><u:AddPortMapping xmlns:u="${v2}"><NewRemoteHost></NewRemoteHost>` +
          '<NewExternalPort>40002</NewExternalPort><NewProtocol>UDP</NewProtocol>' +
          '<NewInternalPort>40002</NewInternalPort><NewInternalClient>198.18.1.2</NewInternalClient>' +
          '<NewEnabled>1</NewEnabled><NewPortMappingDescription>hnet</NewPortMappingDescription>' +
          '<NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body>',
      ),
    );
  });

  test('text placed in a body is escaped, and reads back as sent', () => {
    const call = soapAddPortMapping(v2, { ...mapping, description: `a<b & "c"` });
    assert.match(call.body, /a&lt;b &amp; &quot;c&quot;/);
    assert.equal(elementText(call.body, 'NewPortMappingDescription'), 'a<b & "c"');
  });

  test("reads miniupnpd's real answers to all four actions", () => {
    const external = reply(soapGetExternalIpAddress(v2), 200, SOAP_GET_EXTERNAL_IP_ANSWER);
    assert.deepEqual(external, { kind: 'done', values: { NewExternalIPAddress: '198.18.0.2' } });
    assert.deepEqual(reply(soapAddPortMapping(v2, mapping), 200, SOAP_ADD_PORT_MAPPING_ANSWER), {
      kind: 'done',
      values: {},
    });
    assert.deepEqual(reply(soapAddAnyPortMapping(v2, mapping), 200, SOAP_ADD_ANY_PORT_MAPPING_ANSWER), {
      kind: 'done',
      values: { NewReservedPort: '40002' },
    });
    assert.equal(reply(soapDeletePortMapping(v2, 40002), 200, SOAP_DELETE_PORT_MAPPING_ANSWER).kind, 'done');
  });

  test('a refusal comes back with its UPnP error code and description', () => {
    assert.deepEqual(reply(soapAddPortMapping(v2, mapping), 500, SOAP_CONFLICT_ANSWER), {
      kind: 'refused',
      code: 718,
      description: 'ConflictInMappingEntry',
    });
  });

  test('hostile answers are typed errors: wrong action, missing value, no error code, oversized', () => {
    const kind = (status: number, body: string) => {
      const out = decodeSoapReply(soapGetExternalIpAddress(v2), status, body);
      return out.ok ? 'ok' : out.error.kind;
    };
    assert.equal(kind(200, SOAP_ADD_PORT_MAPPING_ANSWER), 'BadFormat');
    assert.equal(kind(200, '<GetExternalIPAddressResponse></GetExternalIPAddressResponse>'), 'BadFormat');
    assert.equal(kind(500, '<html>Internal error</html>'), 'BadFormat');
    assert.equal(kind(500, '<UPnPError><errorCode>-1</errorCode></UPnPError>'), 'BadFormat');
    assert.equal(kind(200, SOAP_GET_EXTERNAL_IP_ANSWER + ' '.repeat(SOAP_RESPONSE_MAX)), 'TooLong');
  });

  test('external addresses and ports are checked before use', () => {
    assert.equal(externalIpv4('198.18.0.2'), '198.18.0.2');
    for (const bad of ['', '0.0.0.0', '256.1.1.1', '1.2.3', '::1', '1.2.3.4 '])
      assert.equal(externalIpv4(bad), undefined);
    assert.equal(portNumber('40002'), 40002);
    for (const bad of ['0', '65536', '', '12a', '-1', '1e3']) assert.equal(portNumber(bad), undefined);
  });
});
