import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstLogged, logFields } from './daemon-log.js';

// Lines as hnetd wrote them in a benchmark run (info level).
const log = [
  'ts=2026-11-22T10:40:01.460Z level=info event=starting version=0.1.0 pid=14730',
  'ts=2026-11-22T10:40:01.519Z level=info event=base-connected server=198.18.0.5:443',
  'ts=2026-11-22T10:40:01.522Z level=info event=tun-opened name=hnet0 mtu=1350',
  'ts=2026-11-22T10:40:02.088Z level=info event=peer-path component=data-plane peer=fc94:f893:2691:f811:37bb:d5c4:a7b6:d121 state=tunnelled reason="through the base (198.18.0.5:443, UDP)"',
  'ts=2026-11-22T10:40:02.097Z level=info event=peer-path component=data-plane peer=fc94:aaaa:2691:f811:37bb:d5c4:a7b6:d121 state=probing reason="trying 2 endpoints"',
  'ts=2026-11-22T10:40:02.098Z level=info event=peer-path component=data-plane peer=fc94:f893:2691:f811:37bb:d5c4:a7b6:d121 state=direct reason="direct to 198.18.1.3:5582"',
  '',
].join('\n');

test('fields are split on spaces outside quotes, and quoted values unquoted', () => {
  const fields = logFields(log.split('\n')[3]!);
  assert.equal(fields.get('event'), 'peer-path');
  assert.equal(fields.get('state'), 'tunnelled');
  assert.equal(fields.get('reason'), 'through the base (198.18.0.5:443, UDP)');
});

test('the first line of an event gives its time, to the millisecond', () => {
  assert.equal(firstLogged(log, 'tun-opened'), Date.parse('2026-11-22T10:40:01.522Z'));
  assert.equal(firstLogged(log, 'base-connected'), Date.parse('2026-11-22T10:40:01.519Z'));
});

test('fields narrow the search to one peer; an event never logged has no time', () => {
  const peer = 'fc94:aaaa:2691:f811:37bb:d5c4:a7b6:d121';
  assert.equal(firstLogged(log, 'peer-path', { peer }), Date.parse('2026-11-22T10:40:02.097Z'));
  assert.equal(
    firstLogged(log, 'peer-path', { peer: 'fc94:f893:2691:f811:37bb:d5c4:a7b6:d121', state: 'direct' }),
    Date.parse('2026-11-22T10:40:02.098Z'),
  );
  assert.equal(firstLogged(log, 'peer-handshake'), undefined);
});
