// A server's address as people type it: every form is read one way (the CLI and the window both
// hand it here), and what is not an address gets a sentence saying what to type.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseServerAddress } from './server-address.js';

const read = (typed: string): { text: string; candidates: string[] } => {
  const parsed = parseServerAddress(typed);
  assert.ok(parsed.ok, `${typed}: ${parsed.ok ? '' : parsed.error}`);
  return parsed.value;
};

const refusal = (typed: string): string => {
  const parsed = parseServerAddress(typed);
  assert.ok(!parsed.ok, `${typed} was read as ${JSON.stringify(parsed.ok && parsed.value)}`);
  return parsed.error;
};

describe('reading a server address', () => {
  test('a bare IP or name is plain http on the dashboard port, then the app-hosted port, then https', () => {
    assert.deepEqual(read('10.77.0.1'), {
      text: '10.77.0.1',
      candidates: ['http://10.77.0.1', 'http://10.77.0.1:5580', 'https://10.77.0.1'],
    });
    assert.deepEqual(read('  Hnet.Example.COM ').candidates[0], 'http://hnet.example.com');
    assert.deepEqual(read('fd00::1').candidates[0], 'http://[fd00::1]');
    assert.deepEqual(read('[fd00::1]').text, '[fd00::1]');
  });

  test('host:port is that port only: http, or https on 443', () => {
    assert.deepEqual(read('10.77.0.1:5580'), {
      text: '10.77.0.1:5580',
      candidates: ['http://10.77.0.1:5580'],
    });
    assert.deepEqual(read('10.77.0.1:9').candidates, ['http://10.77.0.1:9']);
    assert.deepEqual(read('server.example:443').candidates, ['https://server.example']);
    assert.deepEqual(read('[fd00::1]:5580').candidates, ['http://[fd00::1]:5580']);
  });

  test('a URL is taken as written, tidied, with its path for a server behind a proxy', () => {
    assert.deepEqual(read('http://10.77.0.1:9'), {
      text: 'http://10.77.0.1:9',
      candidates: ['http://10.77.0.1:9'],
    });
    assert.deepEqual(read('HTTPS://Hnet.Example.com/'), {
      text: 'https://hnet.example.com',
      candidates: ['https://hnet.example.com'],
    });
    assert.deepEqual(read('https://proxy.example/hnet/').candidates, ['https://proxy.example/hnet']);
    assert.deepEqual(read('http://10.77.0.1:80').candidates, ['http://10.77.0.1']);
  });

  test('the tidied text reads back to the same address (it is what the control call carries)', () => {
    for (const typed of [
      '10.77.0.1',
      'fd00::1',
      'server.example:5580',
      'HTTP://H.example/x/',
      '[fd00::1]:80',
    ])
      assert.deepEqual(read(read(typed).text), read(typed), typed);
  });

  test('what is not an address is refused with a sentence saying what to type', () => {
    assert.equal(
      refusal(''),
      "Type the server's address, for example 192.168.1.20, server.example:5580, [fd00::1] or https://hnet.example.com.",
    );
    const cases: [string, RegExp][] = [
      ['ftp://server.example', /over http:\/\/ or https:\/\/, not ftp:\/\//],
      ['mailto:someone@example.com', /not mailto:/],
      ['http:/server.example', /come two slashes/],
      ['10.77.0.256', /not an IPv4 address \(four numbers from 0 to 255/],
      ['1.2.3', /not an IPv4 address/],
      ['server.example:0', /port must be a number from 1 to 65535, not "0"/],
      ['server.example:70000', /port must be a number from 1 to 65535/],
      ['server.example:http', /port must be a number/],
      ['http://user:pw@server.example', /no user name or password/],
      ['server.example/?token=1', /no "\?" or "#" part/],
      ['server example', /contains a space/],
      ['server\u200b.example', /invisible character/],
      ['fd00::1]:80', /IPv6 address goes in brackets/],
      ['[fd00::zz]', /is not an IPv6 address/],
      ['http://fd00::1:80', /goes in brackets: http:\/\/\[fd00::1\]:5580/],
      ['-bad-.example', /not a host name or IP address/],
    ];
    for (const [typed, why] of cases) {
      const sentence = refusal(typed);
      assert.match(sentence, why, typed);
      assert.match(
        sentence,
        /^".*" is not a server address: .*Type the address the server's owner gave you/,
        typed,
      );
    }
    assert.match(refusal('x'.repeat(3000)), /3000 characters long \(at most 2048\)/);
  });
});
