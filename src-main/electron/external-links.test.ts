import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { knownPages, mayOpen } from './external-links.js';
import type { HostingState } from '../contract/ui-bridge.js';
import { network, status } from '../contract/status-fixture.js';

const hosting: HostingState = {
  state: 'running',
  server: {
    url: 'http://192.168.1.20:5580',
    fingerprint: '0000 '.repeat(15) + '0000',
    setupUrl: 'http://192.168.1.20:5580/#setup=abc',
    baseServers: ['192.168.1.20:5443'],
    logFile: '/tmp/hnet-server.log',
  },
};

describe('the pages the desktop window opens in the system browser', () => {
  const known = knownPages(
    status({
      server: {
        url: 'https://hnet.example.org/',
        fingerprint: '1111 '.repeat(15) + '1111',
        dashboardUrl: 'https://hnet.example.org',
        websetup: 'fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c',
      },
      networks: [network({ dashboardUrl: 'http://hnet.example.org' })],
    }),
    hosting,
  );

  test('the dashboards of the server in use and of the network, and the hosted server’s setup link', () => {
    // A browser writes the dashboard with a trailing slash; it is the same page.
    assert.equal(mayOpen('https://hnet.example.org/', known), true);
    assert.equal(mayOpen('http://hnet.example.org/', known), true);
    assert.equal(mayOpen('http://192.168.1.20:5580/#setup=abc', known), true);
    assert.equal(mayOpen('http://192.168.1.20:5580/', known), true);
  });

  test('anything else a page might try is refused: other pages, other schemes, other hosts', () => {
    for (const url of [
      'https://hnet.example.org/api/tokens',
      'http://192.168.1.20:5580/#setup=guessed',
      'https://evil.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
    ])
      assert.equal(mayOpen(url, known), false, url);
    assert.equal(mayOpen('https://hnet.example.org/', knownPages(undefined, { state: 'idle' })), false);
  });
});
