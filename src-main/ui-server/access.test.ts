import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCookie, checkSite, cookieName, newToken, sessionCookie, tokenMatches } from './access.js';

const port = 43123;
const access = { port, token: newToken() };

describe('who may use the browser UI', () => {
  test('only our own Host passes: another name for 127.0.0.1 is DNS rebinding', () => {
    assert.equal(checkSite({ host: `127.0.0.1:${port}` }, port, false).ok, true);
    assert.equal(checkSite({ host: `localhost:${port}` }, port, false).ok, true);
    for (const host of [`evil.example:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`, undefined])
      assert.equal(checkSite({ host }, port, false).ok, false, String(host));
  });

  test('an Origin must be ours; a WebSocket must name one', () => {
    const host = `127.0.0.1:${port}`;
    assert.equal(checkSite({ host, origin: `http://127.0.0.1:${port}` }, port, true).ok, true);
    assert.equal(checkSite({ host, origin: 'https://evil.example' }, port, false).ok, false);
    assert.equal(checkSite({ host, origin: 'null' }, port, false).ok, false);
    assert.equal(checkSite({ host }, port, true).ok, false);
  });

  test('the session cookie carries the run’s token, scoped to our port, out of reach of scripts', () => {
    const cookie = sessionCookie(access);
    assert.match(cookie, new RegExp(`^${cookieName(port)}=`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const sent = `other=1; ${cookie.split(';')[0]}`;
    assert.equal(checkCookie({ cookie: sent }, access).ok, true);
    assert.equal(checkCookie({ cookie: `${cookieName(port + 1)}=${access.token}` }, access).ok, false);
    assert.equal(checkCookie({}, access).ok, false);
  });

  test('tokens are long, differ per run, and compare only when equal', () => {
    const other = newToken();
    assert.notEqual(other, access.token);
    assert.ok(access.token.length >= 43);
    assert.equal(tokenMatches(access.token, access.token), true);
    assert.equal(tokenMatches(access.token, other), false);
    assert.equal(tokenMatches(access.token, access.token.slice(1)), false);
    assert.equal(tokenMatches(access.token, null), false);
  });
});
