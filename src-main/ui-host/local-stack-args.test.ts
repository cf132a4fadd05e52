// The hnet-server command line "Host a server on this machine" runs: parsed by hnet-server's own
// option parser, so what the user gets is what the stack will really do.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStackOptions } from '../../src-server/stack-config.js';
import { localStackArgs } from './local-stack-args.js';

const WHOLE_STACK = new Set(['base', 'dashboard', 'websetup'] as const);

function settingsFor(advertise: string, privileged: boolean) {
  const argv = localStackArgs({
    stateDir: '/home/u/.config/hnet/server',
    advertise,
    privileged,
    name: 'hnet server on lap',
  });
  const parsed = parseStackOptions(argv, WHOLE_STACK, 'hnet-server');
  assert.ok(parsed.ok && parsed.value, parsed.ok ? '--help' : parsed.message);
  return parsed.value;
}

describe('the local stack command line', () => {
  test('without root: ports above 1024, state in the user data dir, the detected address in the license', () => {
    const s = settingsFor('192.168.1.20', false);
    assert.equal(s.stateDir, '/home/u/.config/hnet/server');
    assert.deepEqual(s.publicIps, ['192.168.1.20']);
    assert.deepEqual(s.http, { host: '0.0.0.0', port: 5580 });
    assert.equal(s.dashboardUrl, 'http://192.168.1.20:5580');
    assert.deepEqual(s.base?.tcp, [{ ip: '0.0.0.0', port: 5443 }]);
    assert.deepEqual(s.base?.udp, [{ ip: '0.0.0.0', port: 5584 }]);
    assert.equal(s.base?.metrics, undefined);
    assert.deepEqual(s.websetupBase, ['127.0.0.1:5443']);
    assert.equal(s.name, 'hnet server on lap');
  });

  test('as root: the standard dashboard and base ports', () => {
    const s = settingsFor('203.0.113.9', true);
    assert.equal(s.dashboardUrl, 'http://203.0.113.9');
    assert.deepEqual(s.base?.tcp, [{ ip: '0.0.0.0', port: 443 }]);
  });

  test('never the base UDP port 5582, which the engine on this machine holds', () => {
    for (const privileged of [false, true])
      assert.notEqual(settingsFor('10.0.0.5', privileged).base?.udp[0]?.port, 5582);
  });

  test('an IPv6 address listens on IPv6', () => {
    const s = settingsFor('2001:db8::5', false);
    assert.equal(s.dashboardUrl, 'http://[2001:db8::5]:5580');
    assert.deepEqual(s.base?.tcp, [{ ip: '::', port: 5443 }]);
  });
});
