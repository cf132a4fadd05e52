// bench/wake-cost.ts end to end, briefly: every far side answers and gets a figure. Needs root
// (network namespaces) and python3 (which node-gyp needs anyway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

test('the wake-up benchmark prints an RTT for the kernel and for each echo', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    'bench/wake-cost.ts',
    '--pings',
    '50',
  ]);
  const rows = new Map(
    stdout
      .split('\n')
      // In a run this short, a quick echo's median can come out below the kernel's: a negative figure.
      .map((line) => /^(.+?)\s{2,}(\d+)\s+(\d+)\s+(-?\d+|-)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, { p50: Number(match[2]), added: match[4] }]),
  );
  assert.deepEqual(
    [...rows.keys()],
    ['the kernel (ICMP echo)', 'python3 echo', 'node echo, node:dgram', "node echo, the engine's UDP socket"],
  );
  for (const [side, { p50, added }] of rows) {
    assert.ok(p50 > 0 && p50 < 50_000, `${side}: p50 ${p50} µs`);
    assert.equal(added === '-', side.startsWith('the kernel'), side);
  }
});
