import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { addressFromPublicKey, formatAddress } from './address.js';
import { toHex } from './bytes.js';
import { initCrypto, wasmSodium } from './crypto.js';
import { generateIdentity, identityFromSecretKey, parseIdentityFile, serializeIdentity } from './identity.js';

const sodium = await wasmSodium();

before(initCrypto);

describe('identity', () => {
  test('a generated identity owns the address its key derives to and survives a save and load', () => {
    const identity = generateIdentity();
    assert.deepEqual(addressFromPublicKey(identity.publicKey), identity.address);
    const line = serializeIdentity(identity);
    assert.match(line, /^fc94(:[0-9a-f]{4}){7} [0-9a-f]{64} [0-9a-f]{128}\n$/);
    const loaded = parseIdentityFile(line);
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.value, identity);
  });

  test('two generated identities differ', () => {
    assert.notDeepEqual(generateIdentity().address, generateIdentity().address);
  });

  test('a file whose address belongs to another key is refused', () => {
    const mine = generateIdentity();
    const other = generateIdentity();
    const forged = serializeIdentity({ ...mine, address: other.address });
    const parsed = parseIdentityFile(forged);
    assert.equal(parsed.ok ? 'accepted' : parsed.error.kind, 'AddressMismatch');
  });

  test('a file whose public key does not belong to the secret key is refused', () => {
    const mine = generateIdentity();
    const other = generateIdentity();
    const line = `${formatAddress(mine.address)} ${toHex(other.publicKey)} ${toHex(mine.secretKey)}\n`;
    const parsed = parseIdentityFile(line);
    assert.equal(parsed.ok ? 'accepted' : parsed.error.kind, 'InvalidKey');
  });

  test('a secret key whose public half was altered is refused', () => {
    const secretKey = generateIdentity().secretKey.slice();
    secretKey[40]! ^= 1;
    const rebuilt = identityFromSecretKey(secretKey);
    assert.equal(rebuilt.ok ? 'accepted' : rebuilt.error.kind, 'InvalidKey');
  });

  test('a key that does not qualify for an fc94 address is refused', () => {
    let pair = sodium.crypto_sign_keypair();
    while (addressFromPublicKey(pair.publicKey)) pair = sodium.crypto_sign_keypair();
    const rebuilt = identityFromSecretKey(pair.privateKey);
    assert.equal(rebuilt.ok ? 'accepted' : rebuilt.error.kind, 'InvalidKey');
  });

  test('malformed files are refused with a reason', () => {
    const line = serializeIdentity(generateIdentity());
    const [address, publicHex, secretHex] = line.trim().split(' ') as [string, string, string];
    for (const text of [
      '',
      `${address} ${publicHex}`,
      `${line.trim()} extra`,
      `10.0.0.1 ${publicHex} ${secretHex}`,
      `${address} ${publicHex.slice(2)} ${secretHex}`,
      `${address} ${publicHex} ${secretHex.slice(0, -1)}x`,
    ]) {
      const parsed = parseIdentityFile(text);
      assert.equal(parsed.ok ? 'accepted' : parsed.error.kind, 'BadFormat', text);
    }
  });

  test('the file may use a compressed address and CRLF line ending', () => {
    const identity = generateIdentity();
    const [, publicHex, secretHex] = serializeIdentity(identity).trim().split(' ');
    const compressed = formatAddress(identity.address).replace(/(^|:)0{1,3}/g, '$1');
    const parsed = parseIdentityFile(`${compressed} ${publicHex} ${secretHex}\r\n`);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.address, identity.address);
  });
});
