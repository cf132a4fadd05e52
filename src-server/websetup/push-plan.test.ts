// What websetup plans to tell one device, and in which order per slot on the device.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import {
  desiredEntries,
  hostEntry,
  hostnameEntry,
  planPushes,
  recordOf,
  whitelistEntry,
  type PlannedPush,
} from './push-plan.js';

const address = (text: string): string => formatAddress(parseOverlayAddress(text)!);
const P = address('fc94::1');
const Q = address('fc94::2');
const R = address('fc94::3');

const shown = (plan: PlannedPush[]) =>
  plan.map((p) => `${p.present ? '+' : '-'}${p.entry} [${p.keys.join(', ')}]`);

describe('push plan', () => {
  test('a device gets its own name and its peers, but no name it would see twice or as its own', () => {
    const desired = desiredEntries({
      hostname: 'laptop',
      peers: [
        { address: P, hostname: 'printer' },
        { address: Q, hostname: 'Laptop' },
        { address: R, hostname: 'github.com' },
      ],
    });
    assert.deepEqual(
      [...desired].sort(),
      [
        hostnameEntry('laptop'),
        hostEntry(P, 'printer'),
        whitelistEntry(P),
        whitelistEntry(Q),
        whitelistEntry(R),
      ].sort(),
      'Q shares the device’s name and R has one no device may have: both reachable, neither named',
    );
    const twice = desiredEntries({
      hostname: 'laptop',
      peers: [
        { address: P, hostname: 'nas' },
        { address: Q, hostname: 'NAS' },
      ],
    });
    assert.ok(![...twice].some((e) => e.startsWith('host ')), 'a name on two peers names neither');
    assert.ok(
      !desiredEntries({ hostname: 'www.example.org', peers: [] }).has(hostnameEntry('www.example.org')),
    );
  });

  test('removals first, then whitelist, own name and host names; each push names the slots it changes', () => {
    const confirmed = [hostnameEntry('old'), whitelistEntry(P), hostEntry(P, 'a')];
    const desired = new Set([hostnameEntry('a'), whitelistEntry(Q), hostEntry(Q, 'old')]);
    assert.deepEqual(shown(planPushes(confirmed, desired)), [
      `-host ${P} a [name a]`,
      `-whitelist ${P} [address ${P}]`,
      `+whitelist ${Q} [address ${Q}]`,
      '+hostname a [own name, name a, name old]',
      `+host ${Q} old [name old]`,
    ]);
  });

  test('a confirmed entry replaces what held its slot; a confirmed removal drops the entry', () => {
    const record = [hostnameEntry('old'), hostEntry(P, 'nas'), hostEntry(Q, 'printer'), whitelistEntry(P)];
    assert.deepEqual(recordOf(hostEntry(R, 'NAS'), true)(record), {
      add: [hostEntry(R, 'NAS')],
      drop: [hostEntry(P, 'nas')],
    });
    assert.deepEqual(recordOf(hostnameEntry('new'), true)(record), {
      add: [hostnameEntry('new')],
      drop: [hostnameEntry('old')],
    });
    assert.deepEqual(recordOf(whitelistEntry(P), false)(record), { drop: [whitelistEntry(P)] });
  });
});
