// The names the server gives joining devices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceNameProblem } from '../../src-shared/hostname.js';
import { nameCandidates, nameFromRequest } from './device-names.js';

test('a joining device keeps the first label of the name it asks for, or is called "device"', () => {
  assert.equal(nameFromRequest('laptop'), 'laptop');
  assert.equal(nameFromRequest('Laptop.example.org'), 'Laptop');
  assert.equal(nameFromRequest('-x'), 'x');
  assert.equal(nameFromRequest('.hidden'), 'device');
  assert.equal(nameFromRequest('12345'), 'device');
  assert.equal(nameFromRequest('localhost'), 'device');
  assert.equal(nameFromRequest('b'.repeat(80)), 'b'.repeat(63));
});

test('a taken name is numbered, then given a random suffix, always within one label', () => {
  const long = 'n'.repeat(63);
  const candidates = [...nameCandidates(long, () => 'abc123')];
  assert.equal(candidates[0], long);
  assert.equal(candidates[1], `${'n'.repeat(61)}-2`);
  assert.equal(candidates.at(-1), `${'n'.repeat(56)}-abc123`);
  assert.equal(candidates.length, 1 + 63 + 4, 'finite: a join that finds no free name is refused');
  for (const name of candidates) assert.equal(deviceNameProblem(name), undefined, name);
});
