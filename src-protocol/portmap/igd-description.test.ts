import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IGD_DESCRIPTION_MAX, findWanConnections, isGatewayUrl } from './igd-description.js';
import { ROOT_DESCRIPTION } from './miniupnpd-captures.js';

const location = 'http://198.18.1.1:39853/rootDesc.xml';

function service(type: string, control: string): string {
  return `<service><serviceType>${type}</serviceType><controlURL>${control}</controlURL></service>`;
}

const urn = (name: string) => `urn:schemas-upnp-org:service:${name}`;

describe('IGD device description', () => {
  test("finds the WANIPConnection:2 control URL in miniupnpd's real description, resolved on the gateway", () => {
    const found = findWanConnections(ROOT_DESCRIPTION, location, '198.18.1.1');
    assert.ok(found.ok, found.ok ? '' : found.error.message);
    assert.deepEqual(found.value, [
      { serviceType: urn('WANIPConnection:2'), controlUrl: 'http://198.18.1.1:39853/ctl/IPConn' },
    ]);
  });

  test('lists IP connections before PPP ones, version 2 first; other services are skipped', () => {
    const xml =
      '<root><device><serviceList>' +
      service(urn('WANPPPConnection:1'), '/ppp') +
      service(urn('Layer3Forwarding:1'), '/l3f') +
      service(urn('WANIPConnection:1'), '/ip1') +
      '</serviceList></device></root>';
    const found = findWanConnections(xml, 'http://192.168.1.1:49000/igd.xml', '192.168.1.1');
    assert.ok(found.ok);
    assert.deepEqual(
      found.value.map((c) => c.controlUrl),
      ['http://192.168.1.1:49000/ip1', 'http://192.168.1.1:49000/ppp'],
    );
  });

  test('UPnP 1.0 URLBase, absolute control URLs, namespace prefixes and entities are understood', () => {
    const xml =
      '<d:root><d:URLBase>http://192.168.1.1:5431/</d:URLBase>' +
      `<d:service><d:serviceType>${urn('WANIPConnection:1')}</d:serviceType>` +
      '<d:controlURL> uuid/ctl?a=1&amp;b=2 </d:controlURL></d:service>' +
      service(urn('WANPPPConnection:1'), 'http://192.168.1.1:5431/ppp') +
      '</d:root>';
    const found = findWanConnections(xml, 'http://192.168.1.1:1900/desc.xml', '192.168.1.1');
    assert.ok(found.ok);
    assert.deepEqual(
      found.value.map((c) => c.controlUrl),
      ['http://192.168.1.1:5431/uuid/ctl?a=1&b=2', 'http://192.168.1.1:5431/ppp'],
    );
  });

  test('a control URL on any host but the gateway is refused, saying where it pointed', () => {
    const xml = service(urn('WANIPConnection:1'), 'http://203.0.113.9/ctl');
    const found = findWanConnections(xml, 'http://192.168.1.1/desc.xml', '192.168.1.1');
    assert.equal(found.ok, false);
    assert.equal(!found.ok && found.error.kind, 'NotForUs');
    assert.match(!found.ok ? found.error.message : '', /203\.0\.113\.9/);
    const https = findWanConnections(
      service(urn('WANIPConnection:1'), 'https://192.168.1.1/c'),
      location,
      '192.168.1.1',
    );
    assert.equal(https.ok, false);
  });

  test('no usable service, an oversized or a broken description give typed errors', () => {
    const kind = (xml: string) => {
      const out = findWanConnections(xml, location, '198.18.1.1');
      return out.ok ? 'ok' : out.error.kind;
    };
    assert.equal(kind('<root><device/></root>'), 'BadFormat');
    assert.equal(kind(`<service><serviceType>${urn('WANIPConnection:1')}</serviceType>`), 'BadFormat');
    assert.equal(kind('<service><serviceType><controlURL></service>'.repeat(1000)), 'BadFormat');
    assert.equal(kind(ROOT_DESCRIPTION + ' '.repeat(IGD_DESCRIPTION_MAX)), 'TooLong');
  });

  test('isGatewayUrl: plain http on exactly the gateway address, no credentials', () => {
    assert.ok(isGatewayUrl('http://192.168.1.1:5000/x', '192.168.1.1'));
    assert.equal(isGatewayUrl('http://192.168.1.10/x', '192.168.1.1'), false);
    assert.equal(isGatewayUrl('http://user@192.168.1.1/x', '192.168.1.1'), false);
    assert.equal(isGatewayUrl('ftp://192.168.1.1/x', '192.168.1.1'), false);
    assert.equal(isGatewayUrl('http://192.168.1.1.evil.example/x', '192.168.1.1'), false);
  });
});
