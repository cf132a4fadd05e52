// Which of our addresses the base hears about, and which beacon sources count as neighbours.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { advertisedEndpoints, isOnLink, type LocalAddress } from './local-interfaces.js';

const run = promisify(execFile);

const addresses: LocalAddress[] = [
  { interfaceName: 'eth0', family: 'IPv4', ip: '198.18.0.2', scopeId: 0, prefixLength: 24 },
  { interfaceName: 'eth0', family: 'IPv6', ip: 'fe80::1', scopeId: 2, prefixLength: 64 },
  { interfaceName: 'eth1', family: 'IPv6', ip: '2001:db8:5::7', scopeId: 0, prefixLength: 64 },
];

test('INFO lists usable addresses with our UDP port, never link-local ones', () => {
  assert.deepEqual(advertisedEndpoints(addresses, 5583), [
    { ip: '198.18.0.2', port: 5583 },
    { ip: '2001:db8:5::7', port: 5583 },
  ]);
});

test('a beacon source on one of our subnets is a neighbour, even outside RFC 1918', () => {
  assert.equal(isOnLink('198.18.0.77', addresses), true);
  assert.equal(isOnLink('198.18.1.77', addresses), false);
  assert.equal(isOnLink('2001:db8:5::99', addresses), true);
  assert.equal(isOnLink('2001:db8:6::99', addresses), false);
  assert.equal(isOnLink('not an address', addresses), false);
});

test('out of file descriptors, the addresses read last are the answer, said once, and reading resumes after', async () => {
  // A real EMFILE: a process of its own with a low descriptor limit fills it, then asks.
  const module = (name: string) => new URL(`./${name}.ts`, import.meta.url).href;
  const script = `
    import { closeSync, openSync } from 'node:fs';
    import { localAddresses } from '${module('local-interfaces')}';
    import { createLogger } from '${module('../log')}';
    const lines = [];
    const log = createLogger('info', (line) => lines.push(line.replace(/^ts=\\S+ /, '')));
    const first = localAddresses(log);
    const held = [];
    try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
    const during = [localAddresses(log), localAddresses(log)];
    for (const fd of held) closeSync(fd);
    const after = localAddresses(log);
    console.log(JSON.stringify({ first, during, after, lines, held: held.length }));`;
  const { stdout } = await run('bash', [
    '-c',
    'ulimit -n 64 && exec "$0" --import tsx --input-type=module -e "$1"',
    process.execPath,
    script,
  ]);
  const seen = JSON.parse(stdout) as {
    first: LocalAddress[];
    during: LocalAddress[][];
    after: LocalAddress[];
    lines: string[];
    held: number;
  };
  assert.ok(seen.held > 0, 'the descriptor table was filled');
  assert.deepEqual(seen.during, [seen.first, seen.first]);
  assert.deepEqual(seen.after, seen.first);
  assert.equal(seen.lines.length, 2, seen.lines.join('\n'));
  assert.match(
    seen.lines[0]!,
    /level=warn event=interfaces-unreadable reason=.*24.* using="the addresses read last"/,
  );
  assert.match(seen.lines[1]!, /level=info event=interfaces-readable-again/);
});
