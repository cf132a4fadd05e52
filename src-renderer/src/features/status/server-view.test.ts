import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { network, status } from '../../../../src-main/contract/status-fixture.js';
import type { BaseStatus } from '../../../../src-main/contract/status.js';
import { describeBases, describeServer, describeWebsetup } from './server-view.js';

const base = (change: Partial<BaseStatus>): BaseStatus => ({
  state: 'connected',
  transport: 'udp',
  server: '198.18.0.2:443',
  reason: 'base answers over UDP',
  ...change,
});

describe('the server at the top of the window', () => {
  test('a server that stops answering is a warning that direct peers keep working, not the network offline', () => {
    const view = describeServer(
      status({
        base: base({ state: 'unreachable', transport: null, reason: '198.18.0.2:443 closed the connection' }),
      }),
    );
    assert.deepEqual(view, {
      tone: 'warn',
      headline: 'Server unreachable — direct peers keep working',
      detail: '198.18.0.2:443 closed the connection',
    });
  });

  test('connected says over what; connecting says to what; no server is nothing wrong', () => {
    assert.deepEqual(describeServer(status({ base: base({ transport: 'tcp' }) })), {
      tone: 'good',
      headline: 'Connected to 198.18.0.2:443 over TCP',
      detail: 'base answers over UDP',
    });
    assert.equal(
      describeServer(status({ base: base({ state: 'connecting', server: null, reason: '' }) })).headline,
      'Connecting to the base server…',
    );
    const none = describeServer(status({ base: base({ state: 'offline', server: null, transport: null }) }));
    assert.equal(none.tone, 'muted');
    assert.equal(none.headline, 'No server set up');
  });

  test('after Disconnect the window says so, whatever the base did last', () => {
    assert.deepEqual(describeServer(status({ connection: 'down' })), {
      tone: 'muted',
      headline: 'Disconnected',
      detail: 'hnet carries no traffic and talks to no one until you connect.',
    });
  });

  test('the network’s websetup node is part of the server, with whether it answers', () => {
    const now = Date.parse('2026-11-22T09:00:12Z');
    assert.deepEqual(describeWebsetup(network(), now), {
      tone: 'good',
      text: 'Websetup of http://hnet.example.org/: answering, last contact 12 s ago',
    });
    const silent = describeWebsetup(network({ reach: 'unreachable', server: null, lastContact: null }), now);
    assert.deepEqual(silent, {
      tone: 'warn',
      text: 'Websetup of fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c: not answering',
    });
  });
});

describe('the base servers of the license', () => {
  const now = Date.parse('2026-12-07T12:00:20Z');
  const measuredAt = '2026-12-07T12:00:00Z';

  test('each as measured: the one in use, the others with their round trip or why they do not answer', () => {
    const lines = describeBases(
      base({
        servers: [
          { server: '198.18.0.2:443', state: 'in use', rttMs: 1.234, measuredAt, reason: '' },
          { server: '198.18.0.3:443', state: 'answering', rttMs: 48, measuredAt, reason: '' },
          {
            server: '198.18.0.4:443',
            state: 'unreachable',
            rttMs: null,
            measuredAt,
            reason: '198.18.0.4:443 stopped answering (nothing acknowledged for 3 s)',
          },
          { server: '198.18.0.5:443', state: 'unknown', rttMs: null, measuredAt: null, reason: '' },
        ],
      }),
      now,
    );
    assert.deepEqual(
      lines.map((line) => [line.tone, line.text]),
      [
        ['good', '198.18.0.2:443 1.23 ms in use (measured 20 s ago)'],
        ['muted', '198.18.0.3:443 48.0 ms (measured 20 s ago)'],
        [
          'warn',
          '198.18.0.4:443 unreachable (198.18.0.4:443 stopped answering (nothing acknowledged for 3 s), 20 s ago)',
        ],
        ['muted', '198.18.0.5:443 not measured yet'],
      ],
    );
  });

  test('one base, or none measured, is no choice: nothing more is shown', () => {
    const one = { server: '198.18.0.2:443', state: 'in use', rttMs: 1, measuredAt, reason: '' } as const;
    assert.deepEqual(describeBases(base({ servers: [one] }), now), []);
    assert.deepEqual(describeBases(base({}), now), []);
  });
});
