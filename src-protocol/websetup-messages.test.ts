import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOverlayAddress } from './address.js';
import { initCrypto } from './crypto.js';
import { generateIdentity } from './identity.js';
import {
  checkJoinProof,
  decodeNodeToWebsetup,
  encodeNodeRequest,
  encodeWebsetupCommand,
  encodeWebsetupReply,
  formatJoinCode,
  generateJoinCode,
  generateWebsetupSecret,
  openWebsetupDatagram,
  parseJoinCode,
  parseWebsetupCommand,
  proveJoin,
  replyForRejectedCommand,
  type WebsetupCommand,
} from './websetup-messages.js';

await initCrypto();

const secret = '0123456789abcdef01234567';
const peer = parseOverlayAddress('fc94:59d2:2c2e:85bd:6b5e:83f6:f916:7cb8')!;
const websetup = parseOverlayAddress('fc94:b01d:1803:8dd8:b293:5c7d:7639:932a')!;
const text = (s: string) => new TextEncoder().encode(s);
const show = (b: Uint8Array) => new TextDecoder().decode(b);

function receive(bytes: Uint8Array, withSecret = secret) {
  const opened = openWebsetupDatagram(bytes, withSecret);
  if (!opened.ok) return opened;
  const command = parseWebsetupCommand(opened.value);
  return command.ok
    ? { ok: true as const, value: { seq: opened.value.seq, command: command.value } }
    : command;
}

describe('websetup to node', () => {
  test('every command reaches the node as sent', () => {
    const commands: WebsetupCommand[] = [
      { kind: 'ping' },
      { kind: 'init-response', payload: '{"ok":true}' },
      { kind: 'whitelist-add', address: peer },
      { kind: 'whitelist-rm', address: peer },
      { kind: 'whitelist-enable' },
      { kind: 'whitelist-disable' },
      { kind: 'host-add', address: peer, hostname: 'laptop' },
      { kind: 'host-rm', address: peer, hostname: 'laptop' },
      { kind: 'set-hostname', hostname: 'build-box.lab' },
      { kind: 'change-secret', secret: 'fedcba9876543210fedcba98' },
      { kind: 'get-version' },
      { kind: 'get-latency', address: peer },
      { kind: 'cleanup' },
      { kind: 'hnet-join-refused', reason: 'unknown-code' },
    ];
    for (const command of commands) {
      const bytes = encodeWebsetupCommand(secret, '00042', command);
      assert.ok(bytes.ok, command.kind);
      assert.deepEqual(receive(bytes.value), { ok: true, value: { seq: '00042', command } }, command.kind);
    }
  });

  test('the wire form is secret, sequence, command, newline, payload', () => {
    const bytes = encodeWebsetupCommand(secret, 'a1B2c', { kind: 'whitelist-add', address: peer });
    assert.ok(bytes.ok);
    assert.equal(show(bytes.value), `${secret}a1B2cwhitelist-add\nfc9459d22c2e85bd6b5e83f6f9167cb8`);
    const host = encodeWebsetupCommand(secret, '00001', { kind: 'host-add', address: peer, hostname: 'x' });
    assert.ok(host.ok);
    assert.equal(show(host.value), `${secret}00001host-add\nfc94:59d2:2c2e:85bd:6b5e:83f6:f916:7cb8 x`);
  });

  test('a datagram with the wrong secret, or none set, is dropped', () => {
    const bytes = encodeWebsetupCommand(secret, '00001', { kind: 'cleanup' });
    assert.ok(bytes.ok);
    const wrong = receive(bytes.value, `${secret.slice(0, -1)}8`);
    assert.equal(wrong.ok ? 'accepted' : wrong.error.kind, 'BadSecret');
    const unset = receive(bytes.value, '');
    assert.equal(unset.ok ? 'accepted' : unset.error.kind, 'BadSecret');
    const short = receive(text(secret.slice(0, 10)));
    assert.equal(short.ok ? 'accepted' : short.error.kind, 'BadSecret');
  });

  test('an unknown command is answered with bad-command, a bad payload with error', () => {
    const unknown = receive(text(`${secret}00007reboot-now\n`));
    assert.ok(!unknown.ok);
    assert.deepEqual(replyForRejectedCommand(unknown.error), { kind: 'bad-command' });
    for (const bad of [
      'whitelist-add\nfc94',
      'whitelist-add\n20010db8000000000000000000000001',
      'host-add\nfc94::1',
      'host-add\n10.0.0.1 bank.example',
      'host-rm\nfc94::1 bad/name',
      'set-hostname\nno spaces',
      'get-latency\nnot-an-address',
      'hnet-join-refused\nbecause',
    ]) {
      const rejected = receive(text(`${secret}00008${bad}`));
      assert.ok(!rejected.ok, bad);
      assert.deepEqual(replyForRejectedCommand(rejected.error), { kind: 'error' }, bad);
    }
    const weakSecret = receive(text(`${secret}00009change-secret\nshort`));
    assert.ok(!weakSecret.ok);
    assert.deepEqual(replyForRejectedCommand(weakSecret.error), { kind: 'error' });
  });

  test('datagrams without a sequence and command are dropped', () => {
    for (const body of ['', '0001\n', '00001\n', 'ab!de ping\n', '00001ping'])
      assert.equal(openWebsetupDatagram(text(`${secret}${body}`), secret).ok, false, JSON.stringify(body));
  });

  test('websetup cannot emit a command a node would refuse', () => {
    assert.equal(encodeWebsetupCommand(secret, '1234', { kind: 'ping' }).ok, false);
    assert.equal(encodeWebsetupCommand('short', '12345', { kind: 'ping' }).ok, false);
    assert.equal(
      encodeWebsetupCommand(secret, '12345', { kind: 'set-hostname', hostname: 'a\nb' }).ok,
      false,
    );
  });
});

describe('node to websetup', () => {
  test('join and refresh requests', () => {
    const join = {
      kind: 'init-request-join-code' as const,
      code: 'AbCdEfGhIjKlMnOpQrStUv',
      secret,
      hostname: 'laptop',
    };
    const bytes = encodeNodeRequest(join);
    assert.ok(bytes.ok);
    assert.equal(show(bytes.value), `init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}\nlaptop`);
    assert.deepEqual(decodeNodeToWebsetup(bytes.value), { ok: true, value: join });
    const refresh = encodeNodeRequest({ kind: 'init-request' });
    assert.ok(refresh.ok);
    assert.equal(show(refresh.value), 'init-request\n');
    assert.deepEqual(decodeNodeToWebsetup(refresh.value), { ok: true, value: { kind: 'init-request' } });
  });

  test('replies carry the sequence of the command they answer', () => {
    const replies = [
      { kind: 'pong' as const },
      { kind: 'ok' as const },
      { kind: 'error' as const },
      { kind: 'bad-command' as const },
      { kind: 'version' as const, version: '0.1.0', userAgent: 'hnet,Linux,x86_64,0.1.0' },
      { kind: 'latency' as const, ms: 12 },
      { kind: 'latency' as const, ms: -1 },
    ];
    for (const reply of replies) {
      const bytes = encodeWebsetupReply('00042', reply);
      assert.ok(bytes.ok);
      assert.deepEqual(decodeNodeToWebsetup(bytes.value), {
        ok: true,
        value: { kind: 'reply', seq: '00042', reply },
      });
    }
    const version = encodeWebsetupReply('00042', replies[4]!);
    assert.ok(version.ok);
    assert.equal(show(version.value), '00042version=0.1.0;ua=hnet,Linux,x86_64,0.1.0\n');
  });

  test('an hnet device adds a proof line that only its key could have signed', () => {
    const device = generateIdentity();
    const fields = { code: 'AbCdEfGhIjKlMnOpQrStUv', secret, hostname: 'laptop' };
    const proof = proveJoin(device, websetup, fields);
    const bytes = encodeNodeRequest({ kind: 'init-request-join-code', ...fields, proof });
    assert.ok(bytes.ok);
    const lines = show(bytes.value).split('\n');
    assert.deepEqual(lines.slice(0, 4), ['init-request-join-code', fields.code, secret, 'laptop']);
    assert.match(lines[4]!, /^hnet-join-proof [0-9a-f]{64} [0-9a-f]{128}$/);
    const decoded = decodeNodeToWebsetup(bytes.value);
    assert.ok(decoded.ok && decoded.value.kind === 'init-request-join-code' && decoded.value.proof);
    assert.deepEqual(decoded.value, { kind: 'init-request-join-code', ...fields, proof });
    const sent = decoded.value.proof;
    assert.ok(checkJoinProof(decoded.value, sent, websetup, device.address).ok);

    const kinds = (result: { ok: boolean; error?: { kind: string } }) =>
      result.ok ? 'ok' : result.error!.kind;
    assert.equal(
      kinds(checkJoinProof({ ...fields, hostname: 'other' }, sent, websetup, device.address)),
      'BadSignature',
    );
    assert.equal(
      kinds(checkJoinProof({ ...fields, secret: 'f'.repeat(24) }, sent, websetup, device.address)),
      'BadSignature',
    );
    assert.equal(
      kinds(checkJoinProof(fields, sent, peer, device.address)),
      'BadSignature',
      'for another websetup',
    );
    assert.equal(
      kinds(checkJoinProof(fields, sent, websetup, peer)),
      'AddressMismatch',
      'from another device',
    );
    const flipped = { ...sent, signature: sent.signature.slice() };
    flipped.signature[0]! ^= 1;
    assert.equal(kinds(checkJoinProof(fields, flipped, websetup, device.address)), 'BadSignature');
  });

  test('malformed requests are refused', () => {
    const proof = `hnet-join-proof ${'ab'.repeat(32)} ${'cd'.repeat(64)}`;
    assert.ok(
      decodeNodeToWebsetup(text(`init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}\nh\n${proof}`)).ok,
    );
    for (const body of [
      'init-request-join-code\nshort\nsecretsecretsecret\nhost',
      `init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}`,
      `init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}\nbad host`,
      `init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}\nh\n${proof.toUpperCase()}`,
      `init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}\nh\n${proof.slice(0, -2)}`,
      `init-request-join-code\nAbCdEfGhIjKlMnOpQrStUv\n${secret}\nh\n${proof}\n`,
      '00001sing\n',
      'hello',
    ])
      assert.equal(decodeNodeToWebsetup(text(body)).ok, false, body);
  });
});

describe('join codes and secrets', () => {
  test('a join code names the websetup node and a 22-character code', () => {
    const code = generateJoinCode();
    assert.match(code, /^[A-Za-z0-9]{22}$/);
    const shown = formatJoinCode({ websetup, code });
    assert.equal(shown, `fc94:b01d:1803:8dd8:b293:5c7d:7639:932a/${code}`);
    assert.deepEqual(parseJoinCode(` ${shown}\n`), { ok: true, value: { websetup, code } });
    assert.deepEqual(parseJoinCode(`fc94:b01d:1803:8dd8:b293:5c7d:7639:932a/${code}`).ok, true);
    for (const bad of [
      code,
      `10.0.0.1/${code}`,
      `${shown}x`,
      `fc94::1/${code.slice(1)}`,
      `fc94::1/${code.slice(1)}!`,
    ])
      assert.equal(parseJoinCode(bad).ok, false, bad);
  });

  test('fresh secrets look like stock ones and do not repeat', () => {
    const a = generateWebsetupSecret();
    assert.match(a, /^[0-9a-f]{24}$/);
    assert.notEqual(a, generateWebsetupSecret());
  });
});
