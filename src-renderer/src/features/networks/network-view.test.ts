import assert from 'node:assert/strict';
import { test } from 'node:test';
import { network, peer } from '../../../../src-main/contract/status-fixture.js';
import { describeNetwork, joinedSentence, networkMembers } from './network-view.js';

const WEBSETUP = 'fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c';
const joined = network({ websetup: WEBSETUP, names: ['home lab'] });

test('a joined network is shown by its name, with the device’s name, its server and what leaving takes away', () => {
  assert.deepEqual(describeNetwork(joined), {
    name: 'home lab',
    heading: 'Joined as laptop',
    managedBy: `websetup ${WEBSETUP} of http://hnet.example.org/`,
    detail: 'It looks after 3 whitelist entries and 1 name here; leaving removes them and keeps your own.',
    tone: 'good',
  });
});

test('a join still waiting says the device keeps asking; without a server set up only websetup is named', () => {
  const view = describeNetwork({
    ...joined,
    names: undefined,
    state: 'joining',
    server: null,
    managed: { addresses: 1, hostnames: 0 },
  });
  assert.equal(view.heading, 'Joining as laptop');
  assert.equal(view.managedBy, `websetup ${WEBSETUP}`);
  assert.match(view.detail, /asks again every 5 seconds/);
});

test('a refused join says why and that the device stopped asking', () => {
  const view = describeNetwork({ ...joined, state: 'refused', refusal: 'unknown or revoked join code' });
  assert.equal(view.heading, 'Join refused');
  assert.equal(view.tone, 'bad');
  assert.match(view.detail, /^Unknown or revoked join code\. This device stopped asking/);
});

test('who else is in the network: the peers by name, never its websetup node', () => {
  const members = networkMembers(joined, [
    peer(WEBSETUP, { hostname: 'websetup' }),
    peer('fc94::b', { hostname: 'beta', reach: 'online' }),
    peer('fc94::a', { hostname: null, reach: 'idle' }),
  ]);
  assert.deepEqual(members, [
    { address: 'fc94::b', name: 'beta', reach: 'online' },
    { address: 'fc94::a', name: 'fc94::a', reach: 'idle' },
  ]);
});

test('joining under a name already taken says which name the device got, and in which network', () => {
  const join = { websetup: WEBSETUP, requested: 'alpha', networks: ['home lab'] };
  assert.equal(
    joinedSentence({ ...join, hostname: 'alpha-2' }),
    'Joined as alpha-2 (“alpha” is taken in this account or network) in “home lab”. Its devices appear under Peers.',
  );
  assert.equal(
    joinedSentence({ ...join, hostname: 'alpha' }),
    'Joined as alpha in “home lab”. Its devices appear under Peers.',
  );
});
