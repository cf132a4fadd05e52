import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseIperfJson } from './iperf-output.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

test('a finished TCP run reports what the server received, in Mbit/s', () => {
  const result = parseIperfJson(fixture('iperf3-tcp.json'));
  assert.ok(result.ok);
  assert.equal(Math.round(result.value.mbitPerSecond), 17696);
  assert.equal(result.value.seconds, 2.004518);
  assert.equal(result.value.retransmits, 0);
});

test("a run iperf3 could not make carries iperf3's own reason", () => {
  const result = parseIperfJson(fixture('iperf3-unreachable.json'));
  assert.ok(!result.ok);
  assert.equal(result.error.kind, 'ToolReported');
  assert.match(result.error.message, /Network is unreachable/);
});

test('output that is not a report says what came instead', () => {
  const notJson = parseIperfJson('iperf3: parameter error - must either be a client (-c) or server (-s)\n');
  assert.ok(!notJson.ok);
  assert.equal(notJson.error.kind, 'NotJson');
  assert.match(notJson.error.message, /parameter error/);
  const noSummary = parseIperfJson('{"start": {}, "intervals": [], "end": {}}');
  assert.ok(!noSummary.ok);
  assert.equal(noSummary.error.kind, 'MissingField');
});
