// How `hnet ping` and `hnet netcheck` read: the path of every reply, a note when it changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetcheckReport, PingResult } from '../contract/diagnostics.js';
import { formatNetcheck, pathChange, pingLine, pingSummary } from './format-diagnostics.js';

const direct: PingResult = {
  address: 'fc94:00a1:0000:0000:0000:0000:0000:0003',
  hostname: 'bravo',
  sent: { kind: 'direct', endpoint: '203.0.113.7:5582', lan: false },
  rttMs: 0.41,
  reply: { kind: 'direct', endpoint: '203.0.113.7:5582', lan: false },
};
const viaBase: PingResult = {
  ...direct,
  sent: { kind: 'base', server: '198.51.100.2:443', transport: 'udp' },
  rttMs: 3.2,
  reply: { kind: 'base', server: '198.51.100.2:443', transport: 'udp' },
};

test('each reply names its round trip and the path the engine sent it on', () => {
  assert.equal(
    pingLine(direct, 1, 2000),
    'reply from bravo: seq=1 time=0.41 ms, direct via 203.0.113.7:5582',
  );
  assert.equal(
    pingLine(viaBase, 2, 2000),
    'reply from bravo: seq=2 time=3.20 ms, via the base 198.51.100.2:443 over UDP',
  );
  assert.equal(
    pingLine({ ...direct, reply: viaBase.reply }, 3, 2000),
    'reply from bravo: seq=3 time=0.41 ms, direct via 203.0.113.7:5582; the reply came via the base 198.51.100.2:443 over UDP',
  );
  assert.equal(
    pingLine({ ...viaBase, rttMs: null, reply: null }, 4, 2000),
    'no reply from bravo within 2 s: seq=4, sent via the base 198.51.100.2:443 over UDP',
  );
  assert.equal(
    pingLine({ ...direct, sent: null, rttMs: null, reply: null }, 5, 2000),
    'no reply from bravo within 2 s: seq=5, not sent: no base server to relay through and no direct path yet',
  );
});

test('a note marks a change of path, and only a change', () => {
  assert.equal(pathChange(undefined, direct), undefined);
  assert.equal(pathChange(direct, { ...direct, rttMs: 0.5 }), undefined);
  assert.equal(
    pathChange(direct, viaBase),
    '  path changed: now via the base 198.51.100.2:443 over UDP (was direct via 203.0.113.7:5582)',
  );
});

test('the summary counts pings and replies and gives min, median and max', () => {
  const lost = { ...viaBase, rttMs: null, reply: null };
  assert.equal(
    pingSummary('bravo (fc94:a1::3)', [direct, viaBase, lost, { ...direct, rttMs: 0.5 }]),
    '--- bravo (fc94:a1::3): 4 pings sent, 3 replies, 25% lost; rtt min/median/max 0.41/0.50/3.20 ms',
  );
  assert.equal(pingSummary('bravo', [lost]), '--- bravo: 1 ping sent, 0 replies, 100% lost');
});

test('netcheck shows each base over both transports, the mapping, LAN beacons and port mapping', () => {
  const report: NetcheckReport = {
    at: '2026-03-01T12:00:00.000Z',
    connection: 'up',
    bases: [
      {
        server: '198.51.100.2:443',
        tcp: { latencyMs: 1.25, error: null },
        udp: { endpoint: '198.51.100.2:5582', latencyMs: 0.9, observed: '203.0.113.5:40000', error: null },
      },
    ],
    mapping: {
      behaviour: 'endpoint-dependent',
      observed: [
        { destination: '198.51.100.2:5582', endpoint: '203.0.113.5:40000' },
        { destination: '198.51.100.2:41234', endpoint: '203.0.113.5:40017' },
      ],
      reason: 'each destination saw another public port',
    },
    lan: {
      beaconing: true,
      interfaces: ['eth0'],
      heard: [
        { address: 'fc94:00a1:0000:0000:0000:0000:0000:0003', endpoint: '192.168.1.5:5582', secondsAgo: 3 },
      ],
      reason: 'beacons go out on eth0 every 25 s; heard 1 device in the last minute',
    },
    portMapping: {
      state: 'mapped',
      protocol: 'pcp',
      gateway: '192.168.1.1',
      external: '203.0.113.5:41234',
      expires: '2026-03-01T13:59:30.000Z',
      reason: 'port mapped by PCP on 192.168.1.1: the base and peers are told of its external endpoint',
    },
  };
  assert.equal(
    formatNetcheck(report),
    [
      'netcheck at 2026-03-01T12:00:00.000Z',
      'base 198.51.100.2:443',
      '  TCP  reachable, 1.25 ms',
      '  UDP  reachable at 198.51.100.2:5582, 0.90 ms; sees this machine as 203.0.113.5:40000',
      'NAT mapping: endpoint-dependent — each destination saw another public port',
      '  198.51.100.2:5582 saw 203.0.113.5:40000',
      '  198.51.100.2:41234 saw 203.0.113.5:40017',
      'LAN beacons: beacons go out on eth0 every 25 s; heard 1 device in the last minute',
      '  fc94:a1::3 at 192.168.1.5:5582, 3 s ago',
      'port mapping: mapped by PCP on 192.168.1.1: 203.0.113.5:41234, 1h59m left',
    ].join('\n'),
  );
});
