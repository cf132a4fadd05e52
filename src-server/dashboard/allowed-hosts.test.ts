// Which Host names the dashboard answers to, for each way it can be bound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AllowedHosts } from './allowed-hosts.js';

describe('dashboard Host names', () => {
  test('bound to loopback: its address and localhost, with or without the port; nothing else', () => {
    const hosts = new AllowedHosts('127.0.0.1', []);
    for (const host of ['127.0.0.1:5580', '127.0.0.1', 'localhost:5580', 'LOCALHOST.', 'localhost'])
      assert.ok(hosts.allows(host), host);
    for (const host of [undefined, '', 'rebind.example:5580', '[::1]:5580', '10.0.0.1', 'a@127.0.0.1'])
      assert.equal(hosts.allows(host), false, String(host));
  });

  test('bound to every interface: the addresses this machine has now, advertised names, localhost', () => {
    const own = ['127.0.0.1', '::1', '198.18.0.2', 'fe80::1'];
    const hosts = new AllowedHosts('0.0.0.0', ['203.0.113.5', 'HNET.example.org'], () => own);
    const answered = ['198.18.0.2:80', '[FE80::0:1]:80', '203.0.113.5', 'hnet.example.org', 'localhost'];
    for (const host of answered) assert.ok(hosts.allows(host), host);
    for (const host of ['198.18.0.3', 'other.example.org', 'hnet.example.org.evil'])
      assert.equal(hosts.allows(host), false, host);
  });

  test('bound to one address: that one and the names given, not localhost', () => {
    const hosts = new AllowedHosts('198.18.0.2', ['dash.example'], () => ['127.0.0.1', '198.18.0.2']);
    assert.ok(hosts.allows('198.18.0.2:8080'));
    assert.ok(hosts.allows('dash.example'));
    assert.equal(hosts.allows('localhost'), false);
    assert.equal(hosts.allows('127.0.0.1'), false);
  });
});
