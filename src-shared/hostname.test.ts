// Which names websetup may hand out: a pushed name lands in every peer's /etc/hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalHostname, deviceNameProblem, sameName } from './hostname.js';

test('a device name is one label, so no pushed name can stand for a name on the internet', () => {
  for (const name of ['laptop', 'Build-Server_2', 'x', '3d-printer', 'a'.repeat(63)])
    assert.equal(deviceNameProblem(name), undefined, name);
  assert.match(
    deviceNameProblem('github.com') ?? '',
    /"github.com" cannot be a device name: .*no dots.*try "github"/,
  );
  assert.match(deviceNameProblem('security.debian.org') ?? '', /no dots/);
  for (const name of ['localhost', 'LocalHost', 'wpad', 'isatap', 'ip6-loopback'])
    assert.match(deviceNameProblem(name) ?? '', /every machine keeps that name/, name);
  for (const name of ['', '-rf', '1234', 'a'.repeat(64), 'two words', 'ünï'])
    assert.match(deviceNameProblem(name) ?? '', /a device name is one label/, name);
  // The hosts file itself still takes dotted names, as the user may type them by hand.
  assert.equal(canonicalHostname('nas.home'), 'nas.home');
});

test('names compare as /etc/hosts compares them', () => {
  assert.ok(sameName('Laptop', 'laptop'));
  assert.ok(!sameName('laptop', 'laptop-2'));
});
