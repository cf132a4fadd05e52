import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseStackOptions, type StackPart } from './stack-config.js';

const all = new Set<StackPart>(['base', 'dashboard', 'websetup']);

describe('hnet-server options', () => {
  test('the whole stack needs the public IP that license.json will name', () => {
    const parsed = parseStackOptions([], all, 'hnet-server');
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /--public-ip/);
  });

  test('base server options pass through, and websetup registers with that base over loopback', () => {
    const parsed = parseStackOptions(
      ['--public-ip', '198.18.0.1', '--tcp', '0.0.0.0:8443', '--no-metrics', '--http', '0.0.0.0:8080'],
      all,
      'hnet-server',
    );
    assert.ok(parsed.ok && parsed.value);
    assert.deepEqual(parsed.value.base?.tcp, [{ ip: '0.0.0.0', port: 8443 }]);
    assert.equal(parsed.value.base?.metrics, undefined);
    assert.deepEqual(parsed.value.websetupBase, ['127.0.0.1:8443']);
    assert.equal(parsed.value.dashboardUrl, 'http://198.18.0.1:8080');
    assert.equal(parsed.value.database, undefined, 'SQLite in the state directory by default');
  });

  test('the dashboard takes more names to answer to, and refuses one that is no host name', () => {
    const dashboard = new Set<StackPart>(['dashboard']);
    const named = parseStackOptions(
      ['--public-ip', '198.18.0.1', '--dashboard-host', 'hnet.example.org', '--dashboard-host', '[::1]'],
      dashboard,
      'hnet-server dashboard',
    );
    assert.ok(named.ok && named.value);
    assert.deepEqual(named.value.dashboardHosts, ['hnet.example.org', '[::1]']);
    const bad = parseStackOptions(['--public-ip', '198.18.0.1', '--dashboard-host', 'a b'], dashboard, 'd');
    assert.match(bad.ok ? '' : bad.message, /--dashboard-host needs a host name/);
  });

  test('a dashboard alone refuses base options and a database that is not PostgreSQL', () => {
    const dashboard = new Set<StackPart>(['dashboard']);
    const withBase = parseStackOptions(
      ['--public-ip', '198.18.0.1', '--tcp', '443'],
      dashboard,
      'hnet-server dashboard',
    );
    assert.equal(withBase.ok, false);
    const mysql = parseStackOptions(['--public-ip', '198.18.0.1', '--database', 'mysql://x'], dashboard, 'd');
    assert.match(mysql.ok ? '' : mysql.message, /postgres:\/\//);
  });

  test('the shipped PostgreSQL unit runs the whole stack on a database URL that holds no password', () => {
    const unit = readFileSync(new URL('systemd/hnet-server-postgres.service', import.meta.url), 'utf8');
    const execStart = /^ExecStart=.*\/cli\.js (.*)$/m.exec(unit);
    assert.ok(execStart, 'the unit runs cli.js');
    const parsed = parseStackOptions(execStart[1]!.split(/\s+/), all, 'hnet-server');
    assert.ok(parsed.ok && parsed.value, parsed.ok ? '' : parsed.message);
    const url = new URL(parsed.value.database ?? '');
    assert.equal(url.protocol, 'postgres:');
    assert.equal(url.password, '', 'a password on the command line is visible to every local user');
    assert.match(unit, /^EnvironmentFile=\/etc\/hnet-server\/database\.env$/m);
  });
});
