import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStartupTable, formatTable, type Row } from './table.js';

const underlay: Row = {
  overlay: 'underlay',
  path: 'same LAN',
  throughputMbit: 12462.4,
  tcpRetransmits: 0,
  cpuSecondsPerGbit: 0.0913,
  offloads: null,
  ofUnderlayPercent: null,
  rttP50Ms: 0.0381,
  rttP99Ms: 0.053,
  addedP50Ms: null,
  addedP99Ms: null,
  statusRttMs: null,
  firstPingMs: null,
  firstPingNewDeviceMs: null,
  firstPingHelperUpMs: null,
  failoverGapMs: null,
};
const overlay: Row = {
  ...underlay,
  overlay: 'wireguard-go v0.0.20220316',
  throughputMbit: 314.2,
  tcpRetransmits: 1520,
  ofUnderlayPercent: 2.52,
  rttP50Ms: 0.312,
  rttP99Ms: 76.1,
  addedP50Ms: 0.2739,
  addedP99Ms: 76.047,
  firstPingMs: 72.4,
};

test('every row lines up under the header, figures rounded, missing ones shown as "-"', () => {
  const lines = formatTable([underlay, overlay]).split('\n');
  assert.equal(lines.length, 4);
  const [header, rule, first, second] = lines as [string, string, string, string];
  assert.match(rule, /^-+$/);
  assert.equal(rule.length, header.length);
  // Right-aligned columns end where their titles end.
  const end = (title: string): number => header.indexOf(title) + title.length;
  assert.equal(first.indexOf('12462') + 5, end('TCP Mbit/s'));
  assert.equal(second.indexOf('314 ') + 3, end('TCP Mbit/s'));
  assert.equal(second.indexOf('1520') + 4, end('TCP resent'));
  assert.equal(first.indexOf('0.09 ') + 4, end('CPU s/Gbit'));
  assert.equal(second.indexOf('3%') + 2, end('of underlay'));
  assert.equal(second.indexOf('0.274') + 5, end('added p50 ms'));
  assert.ok(first.startsWith('underlay  '));
  assert.match(first, /0\.038\s+0\.053\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+-$/);
  assert.match(second, /76\.047\s+-\s+72\s+-\s+-\s+-\s+-$/);
  const hnetRow = {
    ...overlay,
    overlay: 'hnet',
    statusRttMs: 0.2914,
    firstPingNewDeviceMs: 181.2,
    firstPingHelperUpMs: 96.6,
    offloads: 'TSO GSO GRO',
  };
  assert.match(formatTable([hnetRow]).split('\n')[2]!, /76\.047\s+0\.291\s+72\s+181\s+97\s+-\s+TSO GSO GRO$/);
});

test('the start-up table has a column per step, in order, and "-" for a step never reached', () => {
  const lines = formatStartupTable([
    {
      overlay: 'hnet 0.1.0',
      path: 'same LAN',
      steps: [
        { step: 'helper ready', ms: 141.6 },
        { step: 'handshake', ms: null },
        { step: 'first reply', ms: 498.2 },
      ],
    },
    { overlay: 'wireguard-go', path: 'same LAN', steps: [{ step: 'first reply', ms: 44 }] },
  ]).split('\n');
  const [header, rule, hnetLine, wireguardLine] = lines as [string, string, string, string];
  assert.match(header, /^overlay\s+path\s+helper ready\s+handshake\s+first reply$/);
  assert.equal(rule.length, header.length);
  assert.match(hnetLine, /^hnet 0\.1\.0\s+same LAN\s+142\s+-\s+498$/);
  assert.match(wireguardLine, /^wireguard-go\s+same LAN\s+-\s+-\s+44$/);
  assert.equal(hnetLine.length, header.length);
});
