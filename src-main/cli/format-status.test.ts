// What `hnet status` shows a person: short addresses, every peer counted by state, one row each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHosts, formatStatus, formatWhitelist, peerCounts } from './format-status.js';
import { plural, shortAddress } from './text.js';
import { NOW, samplePeer, sampleStatus, secondsAgo } from './test-status.js';

test('addresses are shortened the usual IPv6 way; other text is left alone', () => {
  assert.equal(shortAddress('fc94:0123:0000:0000:0000:0000:0000:0001'), 'fc94:123::1');
  assert.equal(
    shortAddress('fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239'),
    'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239',
  );
  assert.equal(shortAddress('fc94:0000:0001:0000:0000:0002:0000:0000'), 'fc94:0:1::2:0:0');
  assert.equal(shortAddress('10.0.0.1'), '10.0.0.1');
  assert.equal(shortAddress('bravo'), 'bravo');
});

test('plurals agree with their number', () => {
  assert.equal(plural(1, 'name', 'names'), '1 name');
  assert.equal(plural(0, 'name', 'names'), '0 names');
  assert.equal(plural(2, 'whitelist entry', 'whitelist entries'), '2 whitelist entries');
});

test('status shows the short address and a table row per peer with its state, path, RTT and last heard', () => {
  const text = formatStatus(sampleStatus(), NOW);
  assert.match(text, /^hnet {7}up$/m);
  assert.match(text, /^address {4}fc94:123::1$/m);
  assert.doesNotMatch(text, /0000/, 'no address in its full form');
  assert.match(text, /^ {2}NAME +ADDRESS +STATE +PATH +RTT +HEARD +SENT\/RECEIVED$/m);
  assert.match(
    text,
    /^ {2}bravo +fc94:a1::3 +online +direct 203\.0\.113\.7:5582 +0\.41 ms +1 s ago +2\.0 KiB\/4\.0 KiB$/m,
  );
  assert.match(text, /^ {4}direct via 203\.0\.113\.7:5582 \(public\)$/m);
});

test('the peers line counts every peer by state, idle ones included', () => {
  const peers = [
    samplePeer(),
    samplePeer({ address: 'fc94::4', hostname: null, reach: 'idle', path: 'idle', endpoint: null }),
    samplePeer({ address: 'fc94::5', reach: 'unreachable', lastHeard: secondsAgo(9) }),
    samplePeer({ address: 'fc94::6', reach: 'online' }),
  ];
  assert.equal(peerCounts(peers), '4: 2 online, 1 idle, 1 unreachable');
  assert.equal(peerCounts([]), 'none yet');
  const text = formatStatus(sampleStatus({ peers }), NOW);
  assert.match(text, /^peers {6}4: 2 online, 1 idle, 1 unreachable$/m);
  assert.match(text, /^ {2}- +fc94::4 +idle +idle +/m);
});

test('a relayed peer shows the base and its transport; a server outage reads as such', () => {
  const status = sampleStatus({
    base: {
      state: 'connected',
      transport: 'tcp',
      server: '198.51.100.2:443',
      reason: 'UDP to the base blocked, using TCP',
    },
    peers: [samplePeer({ path: 'tunnelled', endpoint: null, reason: 'data via the base over TCP' })],
  });
  assert.match(formatStatus(status, NOW), / online +via the base \(TCP\) +0\.41 ms/);
  const outage = sampleStatus({
    base: {
      state: 'unreachable',
      transport: null,
      server: '198.51.100.2:443',
      reason: 'refused — direct peers keep working',
    },
  });
  assert.match(
    formatStatus(outage, NOW),
    /^base {7}unreachable \(198\.51\.100\.2:443\): refused — direct peers keep working$/m,
  );
});

test('every listed base shows its measured RTT, which is in use, and which do not answer and why', () => {
  const text = formatStatus(
    sampleStatus({
      base: {
        state: 'connected',
        transport: 'udp',
        server: '198.51.100.2:443',
        reason: '',
        servers: [
          {
            server: '198.51.100.2:443',
            state: 'in use',
            rttMs: 12.3,
            measuredAt: secondsAgo(20),
            reason: '',
          },
          {
            server: '203.0.113.7:443',
            state: 'answering',
            rttMs: 48,
            measuredAt: secondsAgo(20),
            reason: '',
          },
          {
            server: '192.0.2.9:443',
            state: 'unreachable',
            rttMs: null,
            measuredAt: secondsAgo(3),
            reason: '192.0.2.9:443 stopped answering',
          },
          { server: '192.0.2.10:443', state: 'unknown', rttMs: null, measuredAt: null, reason: '' },
        ],
      },
    }),
    NOW,
  );
  assert.match(
    text,
    /^bases {6}198\.51\.100\.2:443 12\.3 ms in use \(measured 20 s ago\); 203\.0\.113\.7:443 48\.0 ms \(measured 20 s ago\); 192\.0\.2\.9:443 unreachable \(192\.0\.2\.9:443 stopped answering, 3 s ago\); 192\.0\.2\.10:443 not measured yet$/m,
  );
});

test('down says so, and what brings it back', () => {
  const text = formatStatus(sampleStatus({ connection: 'down', peers: [] }), NOW);
  assert.match(text, /^hnet {7}down: .*"hnet up"$/m);
  assert.match(text, /^peers {6}none yet$/m);
});

test('the port mapping shows its protocol, router, external endpoint and lease left, or why there is none', () => {
  const mapped = formatStatus(
    sampleStatus({
      portMapping: {
        state: 'mapped',
        protocol: 'nat-pmp',
        gateway: '192.168.1.1',
        external: '203.0.113.5:41234',
        expires: new Date(NOW + (59 * 60 + 30) * 1000).toISOString(),
        reason: 'port mapped by NAT-PMP on 192.168.1.1: the base and peers are told of its external endpoint',
      },
    }),
    NOW,
  );
  assert.match(mapped, /^port map {3}mapped by NAT-PMP on 192\.168\.1\.1: 203\.0\.113\.5:41234, 59m left$/m);
  const none = formatStatus(
    sampleStatus({
      portMapping: {
        state: 'unmapped',
        protocol: null,
        gateway: null,
        external: null,
        expires: null,
        reason: 'no router answered PCP, NAT-PMP or UPnP',
      },
    }),
    NOW,
  );
  assert.match(none, /^port map {3}not mapped: no router answered PCP, NAT-PMP or UPnP$/m);
});

test('whitelist and host table list short addresses beside their names', () => {
  const status = sampleStatus();
  assert.deepEqual(formatWhitelist(status.whitelist, status.hosts), [
    'whitelist on: only this address may connect',
    '  fc94:a1::3  bravo',
  ]);
  assert.deepEqual(formatHosts(status.hosts), ['bravo  fc94:a1::3']);
});

test('the network line names the networks joined, or says the join was refused and why', () => {
  const network = {
    websetup: 'fc94:0123:0000:0000:0000:0000:0000:0001',
    server: null,
    dashboardUrl: null,
    hostname: 'vm-2',
    names: ['home lab'],
    state: 'joined' as const,
    reach: 'online' as const,
    lastContact: null,
    managed: { addresses: 1, hostnames: 1 },
  };
  assert.match(
    formatStatus(sampleStatus({ networks: [network] }), NOW),
    /^network {4}joined "home lab" through websetup fc94:123::1 as vm-2; websetup online$/m,
  );
  const refused = {
    ...network,
    names: [],
    state: 'refused' as const,
    refusal: 'unknown or revoked join code',
  };
  assert.match(
    formatStatus(sampleStatus({ networks: [refused] }), NOW),
    /^network {4}join refused by websetup fc94:123::1: unknown or revoked join code; not asking again/m,
  );
});

test('the data lane line is followed by the offloads in use, and those the kernel did not give', () => {
  const offloads = { tcpSegments: true, udpSegments: false, udpSend: true, udpReceive: true };
  const lane = { state: 'on' as const, reason: 'carried natively', packets: 42, offloads };
  const text = formatStatus(sampleStatus({ dataLane: lane }), NOW);
  assert.match(
    text,
    /data lane on: 42 packets carried natively\noffloads +on: TSO, UDP GSO, UDP GRO; off: USO/,
  );
  const none = { tcpSegments: false, udpSegments: false, udpSend: false, udpReceive: false };
  assert.match(formatStatus(sampleStatus({ dataLane: { ...lane, offloads: none } }), NOW), /offloads +none/);
  assert.doesNotMatch(
    formatStatus(sampleStatus({ dataLane: { ...lane, offloads: undefined } }), NOW),
    /offloads/,
  );
});
