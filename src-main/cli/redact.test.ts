// Nothing secret leaves in a bug report, whatever part of it carries it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, serializeIdentity } from '../../src-protocol/identity.js';
import { generateWebsetupSecret } from '../../src-protocol/websetup-messages.js';
import { REDACTED, redactJson, redactText } from './redact.js';

test('an identity line keeps its address and loses its secret key', async () => {
  await initCrypto();
  const identity = generateIdentity();
  const line = serializeIdentity(identity);
  const secret = line.trim().split(' ')[2]!;
  const redacted = redactText(`read ${line}`);
  assert.ok(!redacted.includes(secret));
  assert.ok(redacted.includes(line.split(' ')[0]!), 'the address stays');
});

test('tokens in URLs and log fields, join codes and setup links are removed', () => {
  const text = [
    'ui url=http://127.0.0.1:4321/?token=Zm9vYmFyYmF6cXV4',
    'hnet-server setup: http://10.0.0.1/#setup=AbCdEfGhIjKlMnOp',
    'join fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c/AbCdEfGhIjKlMnOpQrStUv',
    'level=info event=x secret="0123456789abcdef01234567"',
  ].join('\n');
  const redacted = redactText(text);
  for (const secret of [
    'Zm9vYmFyYmF6cXV4',
    'AbCdEfGhIjKlMnOp',
    'AbCdEfGhIjKlMnOpQrStUv',
    '0123456789abcdef01234567',
  ])
    assert.ok(!redacted.includes(secret), `${secret} in:\n${redacted}`);
  assert.match(redacted, /fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c\//, 'websetup’s address stays');
});

test('secret fields are removed from JSON at any depth; the rest stays', () => {
  const secret = generateWebsetupSecret();
  const redacted = redactJson({
    hostname: 'alpha',
    websetup: { address: 'fc94::1', secret },
    tokens: [{ token: 'abc' }],
    drops: { 'p2p-hello-BadSignature': 2 },
  });
  assert.deepEqual(redacted, {
    hostname: 'alpha',
    websetup: { address: 'fc94::1', secret: REDACTED },
    tokens: REDACTED,
    drops: { 'p2p-hello-BadSignature': 2 },
  });
});
