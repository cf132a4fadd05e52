// What `hnet join` says: the name the device got, why it is not the one asked for, and its network.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinedText } from './network.js';

const websetup = 'fc94:0123:0000:0000:0000:0000:0000:0001';

test('a join names the network and, when the name was taken, the name given and why', () => {
  assert.equal(
    joinedText({ websetup, hostname: 'vm', requested: 'vm', networks: ['home lab'] }),
    'joined as vm in "home lab"; settings come from fc94:123::1',
  );
  assert.equal(
    joinedText({ websetup, hostname: 'vm-2', requested: 'vm', networks: ['home lab'] }),
    'joined as vm-2 ("vm" is taken in this account or network) in "home lab"; settings come from fc94:123::1',
  );
  assert.equal(
    joinedText({ websetup, hostname: 'laptop', requested: 'laptop.example.org', networks: [] }),
    'joined as laptop (a device name is one label); settings come from fc94:123::1',
  );
});
