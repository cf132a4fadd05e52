import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBaseOptions } from './config.js';
import { defaultLimits } from './limits.js';

test('with no options the server listens on TCP 443 and UDP 5582 and serves metrics locally', () => {
  assert.deepEqual(parseBaseOptions([]), {
    ok: true,
    value: {
      tcp: [{ ip: '0.0.0.0', port: 443 }],
      udp: [{ ip: '0.0.0.0', port: 5582 }],
      advertiseIp: undefined,
      metrics: { ip: '127.0.0.1', port: 9582 },
      limits: defaultLimits,
    },
  });
});

test('addresses, the advertised IP and limits come from options', () => {
  const parsed = parseBaseOptions([
    '--tcp',
    '[::]:8443',
    '--tcp',
    '0.0.0.0:8443',
    '--udp',
    '6000',
    '--udp',
    '10.0.0.1:6001',
    '--advertise',
    '::ffff:203.0.113.7',
    '--no-metrics',
    '--max-connections',
    '500',
    '--idle-timeout',
    '60',
    '--max-connections-per-source',
    '32',
  ]);
  assert.ok(parsed.ok && parsed.value);
  assert.deepEqual(parsed.value.tcp, [
    { ip: '::', port: 8443 },
    { ip: '0.0.0.0', port: 8443 },
  ]);
  assert.deepEqual(parsed.value.udp, [
    { ip: '0.0.0.0', port: 6000 },
    { ip: '10.0.0.1', port: 6001 },
  ]);
  assert.equal(parsed.value.advertiseIp, '203.0.113.7');
  assert.equal(parsed.value.metrics, undefined);
  assert.equal(parsed.value.limits.maxConnections, 500);
  assert.equal(parsed.value.limits.idleTimeoutMs, 60_000);
  assert.equal(parsed.value.limits.maxConnectionsPerSource, 32);
});

test('mistakes are explained in a sentence', () => {
  const cases: [string[], RegExp][] = [
    [['--tcp', 'localhost:443'], /--tcp localhost:443: .*is not an (IP address|endpoint)/],
    [['--udp', '1.2.3.4:70000'], /--udp/],
    [['--advertise', 'example.com'], /--advertise needs an IP address/],
    [['--max-connections', 'lots'], /--max-connections needs a number/],
    [['--max-connections-per-source', '0'], /--max-connections-per-source needs a number of at least 1/],
    [['--frobnicate'], /Unknown option '--frobnicate'.*--help/],
    [
      ['--udp', '1', '--udp', '2', '--udp', '3', '--udp', '4', '--udp', '5', '--udp', '6'],
      /at most 5 UDP addresses/,
    ],
  ];
  for (const [argv, message] of cases) {
    const parsed = parseBaseOptions(argv);
    assert.equal(parsed.ok, false, argv.join(' '));
    if (!parsed.ok) assert.match(parsed.error.message, message);
  }
});

test('--help asks for the usage text', () => {
  assert.deepEqual(parseBaseOptions(['--help']), { ok: true, value: undefined });
});
