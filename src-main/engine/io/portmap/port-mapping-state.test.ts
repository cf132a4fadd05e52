import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describePortMapping, type PortMappingState } from './port-mapping-state.js';

const mapped = (expiresAt: number | null): PortMappingState => ({
  state: 'mapped',
  protocol: 'pcp',
  gateway: '192.168.1.1',
  internalPort: 5582,
  external: { ip: '203.0.113.5', port: 41234 },
  expiresAt,
  since: 0,
});

describe('port mapping in a sentence', () => {
  test('mapped: protocol, router, external endpoint and the lease left in hours, minutes or seconds', () => {
    const now = 1_000_000;
    assert.equal(
      describePortMapping(mapped(now + (72 * 60 + 30) * 1000), now),
      'mapped by PCP on 192.168.1.1: 203.0.113.5:41234, 1h12m left',
    );
    assert.match(describePortMapping(mapped(now + 12 * 60_000), now), /, 12m left$/);
    assert.match(describePortMapping(mapped(now + 45_000), now), /, 45s left$/);
    assert.match(describePortMapping(mapped(now - 5000), now), /, 0s left$/);
    assert.match(describePortMapping(mapped(null), now), /, until removed$/);
  });

  test('an IPv6 external endpoint is bracketed', () => {
    const state = { ...mapped(null), external: { ip: '2001:db8::5', port: 5582 } };
    assert.match(describePortMapping(state), /: \[2001:db8::5\]:5582, /);
  });

  test('off, asking, and not mapped with the reason', () => {
    assert.equal(describePortMapping({ state: 'off' }), 'off: not started');
    assert.equal(describePortMapping({ state: 'mapping' }), 'asking the router for a port mapping');
    assert.equal(
      describePortMapping({ state: 'unmapped', reason: 'no router answered PCP, NAT-PMP or UPnP' }),
      'not mapped: no router answered PCP, NAT-PMP or UPnP',
    );
  });
});
