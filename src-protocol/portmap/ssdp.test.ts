import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SSDP_ANSWER } from './miniupnpd-captures.js';
import { IGD_SEARCH_TARGET, SSDP_MAX_RESPONSE, decodeSsdpAnswer, encodeSsdpSearch } from './ssdp.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function kind(text: string): string {
  const out = decodeSsdpAnswer(bytes(text));
  return out.ok ? 'ok' : out.error.kind;
}

describe('SSDP search for an Internet Gateway Device', () => {
  test('the M-SEARCH is the UDA 1.1 text with MX clamped to 1..5', () => {
    assert.equal(
      new TextDecoder().decode(encodeSsdpSearch(IGD_SEARCH_TARGET, 1)),
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n' +
        'ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n',
    );
    assert.match(new TextDecoder().decode(encodeSsdpSearch('x', 30)), /\r\nMX: 5\r\n/);
  });

  test("reads the description URL from miniupnpd's answer", () => {
    const answer = decodeSsdpAnswer(bytes(SSDP_ANSWER));
    assert.ok(answer.ok);
    assert.equal(answer.value.location, 'http://198.18.1.1:39853/rootDesc.xml');
    assert.equal(answer.value.searchTarget, IGD_SEARCH_TARGET);
  });

  test('header names in any case and bare LF line ends are read too', () => {
    const answer = decodeSsdpAnswer(
      bytes('HTTP/1.1 200 OK\nLocation:http://192.168.1.1:5000/desc.xml\nst: x\n\n'),
    );
    assert.ok(answer.ok);
    assert.equal(answer.value.location, 'http://192.168.1.1:5000/desc.xml');
  });

  test('hostile answers are typed errors: no LOCATION, not http, not a 200, a NOTIFY, oversized', () => {
    assert.equal(kind('HTTP/1.1 200 OK\r\nST: x\r\n\r\n'), 'BadFormat');
    assert.equal(kind('HTTP/1.1 200 OK\r\nLOCATION: https://192.168.1.1/d.xml\r\n\r\n'), 'BadFormat');
    assert.equal(kind('HTTP/1.1 200 OK\r\nLOCATION: not a url\r\n\r\n'), 'BadFormat');
    assert.equal(kind('HTTP/1.1 404 Not Found\r\nLOCATION: http://192.168.1.1/d.xml\r\n\r\n'), 'BadKind');
    assert.equal(kind('NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.1/d.xml\r\n\r\n'), 'BadKind');
    assert.equal(kind(SSDP_ANSWER + 'X'.repeat(SSDP_MAX_RESPONSE)), 'TooLong');
    assert.equal(kind(''), 'BadKind');
  });
});
