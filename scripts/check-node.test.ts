// The range reader quickstart asks before `npm ci`: the forms packages put in "engines" read as npm
// reads them, so a Node.js is neither refused for nothing nor let through to a build that breaks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
// @ts-expect-error -- plain JavaScript (it runs before anything is installed), no declarations
import { satisfies } from './check-node.mjs';

const accepts = (version: string, range: string): boolean =>
  (satisfies as (have: number[], range: string) => boolean)(version.split('.').map(Number), range);

test('engine ranges as packages write them', () => {
  const cases: [string, string, boolean][] = [
    ['20.20.2', '>=20.19', true],
    ['20.18.9', '>=20.19', false],
    ['20.20.2', '^20.19.0 || >=22.12.0', true],
    ['21.7.0', '^20.19.0 || >=22.12.0', false],
    ['22.12.0', '^20.19.0 || ^22.13.0 || >=24', false],
    ['22.13.0', '^20.19.0 || ^22.13.0 || >=24', true],
    ['20.1.0', '20 || >=22', true],
    ['21.0.0', '20 || >=22', false],
    ['18.0.0', '>= 18.0.0', true],
    ['7.1.0', '>=6 <7 || >=8', false],
    ['16.0.0', '6.* || 8.* || >= 10.*', true],
    ['14.17.0', '>=16 || 14 >=14.17', true],
    ['14.16.0', '>=16 || 14 >=14.17', false],
    ['0.4.1', '~0.4.0', true],
    ['0.5.0', '^0.4.0', false],
    ['12.0.0', '10 - 12', true],
    ['13.0.0', '10 - 12', false],
    ['1.0.0', '*', true],
  ];
  for (const [version, range, expected] of cases)
    assert.equal(accepts(version, range), expected, `${version} against ${range}`);
});
