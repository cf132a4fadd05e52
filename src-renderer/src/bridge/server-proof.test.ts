import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nonceForm, proveServer, serverKeyFor } from '../../../src-main/ui-server/server-proof.js';
import { expectedProof, newNonce } from './server-proof.js';

describe('the page checks who answers before it reconnects', () => {
  const key = serverKeyFor('x'.repeat(43));

  test('the hnetd that holds the token answers what the page expects', async () => {
    const nonce = newNonce();
    assert.match(nonce, nonceForm, 'the server accepts the page’s nonces');
    assert.equal(await expectedProof(key, nonce), proveServer(key, nonce));
  });

  test('without the token, or for another nonce, the answer is wrong', async () => {
    const nonce = newNonce();
    assert.notEqual(nonce, newNonce());
    assert.notEqual(await expectedProof(key, nonce), proveServer(serverKeyFor('y'.repeat(43)), nonce));
    assert.notEqual(await expectedProof(key, nonce), proveServer(key, newNonce()));
  });
});
