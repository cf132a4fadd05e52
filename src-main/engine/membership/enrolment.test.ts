// Enrolment against a real dashboard and websetup on loopback. Only the overlay is left out: each
// device's websetup port (the one its data plane holds) and websetup's port are joined by a packet
// switch that delivers IPv6 packets by destination address, where two engines' sessions would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { formatAddress, parseOverlayAddress } from '../../../src-protocol/address.js';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../../src-protocol/identity.js';
import {
  decodeNodeToWebsetup,
  encodeWebsetupCommand,
  WEBSETUP_NODE_PORT,
  WEBSETUP_SERVER_PORT,
  type WebsetupCommand,
} from '../../../src-protocol/websetup-messages.js';
import { DashboardServer } from '../../../src-server/dashboard/dashboard-server.js';
import { LoginLimiter } from '../../../src-server/dashboard/login-limiter.js';
import { issueLicense } from '../../../src-server/license/license-issuer.js';
import { loadOrCreateSigningKey, type SigningKey } from '../../../src-server/license/signing-key.js';
import { Store } from '../../../src-server/store/store.js';
import { buildUdpPacket } from '../../../src-protocol/udp-packet.js';
import { OverlayUdp } from '../../../src-server/websetup/overlay-udp.js';
import { WebsetupServer } from '../../../src-server/websetup/websetup-server.js';
import { EngineEnrolment } from './enrolment.js';
import { ENROLMENT_FILE } from './enrolment-state.js';
import { success } from '../../contract/errors.js';
import { boundedGet } from './server-license.js';
import { HostTable } from '../state/host-table.js';
import { createLogger } from '../log.js';
import type { ManagementPort } from '../packets/management-port.js';
import { ManagementSwitch } from '../../testnet/management-switch.js';
import { Whitelist } from '../state/whitelist.js';

const log = createLogger('error');

interface TestDevice {
  identity: Identity;
  address: string;
  dir: string;
  whitelist: Whitelist;
  hosts: HostTable;
  hostname: string;
  baseServers: string[];
  management: ManagementPort;
  enrolment: EngineEnrolment;
}

async function waitFor(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('enrolment', () => {
  const root = mkdtempSync(join(tmpdir(), 'hnet-enrolment-'));
  const net = new ManagementSwitch();
  let websetupIdentity: Identity;
  let websetupAddress = '';
  let store: Store;
  let key: SigningKey;
  let dashboard: DashboardServer;
  let websetup: WebsetupServer;
  let url = '';
  const devices: TestDevice[] = [];
  let session: { cookie: string; csrf: string };

  async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(url + path, {
      method,
      headers: {
        Cookie: session.cookie,
        'X-CSRF-Token': session.csrf,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    assert.ok(response.ok, JSON.stringify(json));
    return json;
  }

  async function device(name: string): Promise<TestDevice> {
    const identity = generateIdentity();
    const address = formatAddress(identity.address);
    const dir = join(root, name);
    mkdirSync(dir, { mode: 0o700 });
    const whitelist = await Whitelist.open(join(dir, 'whitelist.json'));
    const hosts = await HostTable.open(join(dir, 'hosts.json'));
    assert.ok(whitelist.ok && hosts.ok);
    const management = net.device(identity);
    const made: Partial<TestDevice> = {
      identity,
      address,
      dir,
      whitelist: whitelist.value,
      hosts: hosts.value,
      hostname: name,
      baseServers: [],
      management,
    };
    made.enrolment = new EngineEnrolment(
      {
        config: { stateDir: dir, hostname: name },
        identity,
        whitelist: whitelist.value,
        hosts: hosts.value,
        log,
        management,
        changed: () => undefined,
        useBaseServers: (servers) => {
          made.baseServers = servers;
          return Promise.resolve(success(undefined));
        },
        setHostname: (hostname) => {
          made.hostname = hostname;
          return Promise.resolve(success(undefined));
        },
      },
      { retryMs: 200, joinWaitMs: 3000 },
    );
    const ready = made as TestDevice;
    devices.push(ready);
    return ready;
  }

  before(async () => {
    await initCrypto();
    websetupIdentity = generateIdentity();
    websetupAddress = formatAddress(websetupIdentity.address);
    store = await Store.open(join(root, 'hnet.sqlite'));
    key = await loadOrCreateSigningKey(join(root, 'license-key'));
    const license = issueLicense(
      {
        name: 'Lab',
        dashboardUrl: 'http://127.0.0.1',
        websetupHost: websetupAddress,
        baseServers: ['127.0.0.1'],
        maxDevices: 10,
      },
      key,
    );
    assert.ok(license.ok);
    const overlay = new OverlayUdp(WEBSETUP_SERVER_PORT);
    await net.attach(websetupIdentity, overlay);
    websetup = await WebsetupServer.start({
      store,
      open: overlay.open,
      log,
      address: websetupIdentity.address,
      retryMs: 300,
      sweepMs: 60_000,
    });
    dashboard = await DashboardServer.start({
      host: '127.0.0.1',
      port: 0,
      license: license.value,
      log,
      context: {
        store,
        limiter: new LoginLimiter(),
        websetup: websetupIdentity.address,
        allowSignup: false,
        setupToken: 'enrolment-test-setup-token',
        secureCookies: false,
        facts: {
          name: 'Lab',
          fingerprint: key.fingerprint,
          websetupHost: websetupAddress,
          baseServers: ['127.0.0.1'],
          dashboardUrl: '',
        },
        devicesChanged: (addresses) => websetup.devicesChanged(addresses),
      },
    });
    url = `http://127.0.0.1:${dashboard.port}`;
    const signup = await fetch(`${url}/api/signup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        email: 'ops@example.org',
        password: 'correct horse battery',
        setupToken: 'enrolment-test-setup-token',
      }),
    });
    const body = (await signup.json()) as { csrfToken: string };
    session = { cookie: signup.headers.get('set-cookie')!.split(';')[0]!, csrf: body.csrfToken };
  });
  after(async () => {
    for (const d of devices) await d.enrolment.stop();
    await dashboard?.close();
    await websetup?.close();
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('setting up a server needs its key fingerprint confirmed, then switches to its base servers', async () => {
    const alpha = await device('alpha');
    const unconfirmed = await alpha.enrolment.setupServer(url);
    assert.ok(unconfirmed.ok, unconfirmed.ok ? '' : unconfirmed.error.message);
    assert.deepEqual(unconfirmed.value, {
      switched: false,
      url,
      name: 'Lab',
      fingerprint: key.fingerprint,
      baseServers: ['127.0.0.1'],
    });
    const wrong = await alpha.enrolment.setupServer(url, '0000 '.repeat(16));
    assert.equal(wrong.ok ? 'accepted' : wrong.error.kind, 'NotPermitted');
    assert.deepEqual(alpha.baseServers, [], 'nothing changes before the key is confirmed');
    // Users may paste the fingerprint without spaces, in capitals.
    const confirmed = await alpha.enrolment.setupServer(url, key.fingerprint.replace(/ /g, '').toUpperCase());
    assert.ok(confirmed.ok, confirmed.ok ? '' : confirmed.error.message);
    assert.equal(confirmed.value.switched, true);
    assert.deepEqual(confirmed.value.baseServers, ['127.0.0.1']);
    assert.deepEqual(alpha.baseServers, ['127.0.0.1']);
    assert.deepEqual(await alpha.enrolment.savedBaseServers(), ['127.0.0.1'], 'kept for the next start');
  });

  test('a license altered on the way is refused even with the right fingerprint', async () => {
    const bravo = await device('bravo-tamper');
    const tampering = new EngineEnrolment(
      {
        config: { stateDir: bravo.dir, hostname: 'x' },
        identity: bravo.identity,
        whitelist: bravo.whitelist,
        hosts: bravo.hosts,
        log,
        management: undefined,
        changed: () => undefined,
        useBaseServers: () => assert.fail('an altered license must not switch servers'),
        setHostname: () => Promise.resolve(success(undefined)),
      },
      {
        httpGet: async (target) => {
          const real = await boundedGet(target);
          return real.kind === 'answer'
            ? { ...real, body: real.body.replace('"127.0.0.1"', '"203.0.113.66"') }
            : real;
        },
      },
    );
    const result = await tampering.setupServer(url, key.fingerprint);
    await tampering.stop();
    assert.equal(result.ok ? 'accepted' : result.error.kind, 'NotPermitted');
  });

  test('joining with a code claims the device, lets websetup in and keeps the secret private', async () => {
    const code = (await api('POST', '/api/join-codes', { label: 'lab' })).joinCode as string;
    const charlie = await device('charlie');
    const joined = await charlie.enrolment.join(code, 'charlie-laptop');
    assert.ok(joined.ok, joined.ok ? '' : joined.error.message);
    assert.deepEqual(joined.value, {
      websetup: websetupAddress,
      hostname: 'charlie-laptop',
      requested: 'charlie-laptop',
      networks: [],
    });
    assert.equal(charlie.hostname, 'charlie-laptop', 'the device takes the name it joined with');
    assert.ok(charlie.whitelist.state.addresses.includes(websetupAddress));
    const listed = (await api('GET', '/api/devices')) as unknown as { address: string; hostname: string }[];
    assert.ok(listed.some((d) => d.address === charlie.address && d.hostname === 'charlie-laptop'));
    const file = join(charlie.dir, ENROLMENT_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).websetup.pendingCode, undefined);
  });

  test('a join with a revoked code is refused in words, and the device stops asking', async (t) => {
    const created = await api('POST', '/api/join-codes', { label: 'revoked' });
    await api('DELETE', `/api/join-codes/${created.id as string}`);
    // The device's retry timer runs on a mocked clock, so "it stops asking" is checked by moving
    // that clock on, not by waiting in real time for nothing to happen.
    mock.timers.enable({ apis: ['setInterval'] });
    t.after(() => mock.timers.reset());
    const delta = await device('delta');
    let asked = 0;
    const send = delta.management.send.bind(delta.management);
    delta.management.send = (bytes, port) => {
      const sent = decodeNodeToWebsetup(bytes);
      if (!sent.ok || sent.value.kind !== 'reply') asked += 1;
      return send(bytes, port);
    };
    const result = await delta.enrolment.join(created.joinCode as string, 'delta');
    assert.equal(result.ok ? 'joined' : result.error.kind, 'NotFound');
    assert.match(result.ok ? '' : result.error.message, /^unknown or revoked join code: .*stopped asking/);
    const [network] = delta.enrolment.networks([]);
    assert.deepEqual([network?.state, network?.refusal], ['refused', 'unknown or revoked join code']);
    const askedThen = asked;
    mock.timers.tick(5_000);
    assert.equal(asked, askedThen, 'no request after the refusal (the device asked every 200 ms before)');
  });

  test('two devices that join with a network’s code whitelist and name each other with no dashboard click', async () => {
    const network = await api('POST', '/api/networks', { name: 'home lab' });
    const code = (await api('POST', '/api/join-codes', { label: 'home', networkId: network.id })).joinCode;
    const kilo = await device('kilo');
    const lima = await device('lima');
    const first = await kilo.enrolment.join(code as string, 'vm');
    assert.deepEqual(first.ok && [first.value.hostname, first.value.networks], ['vm', ['home lab']]);
    const second = await lima.enrolment.join(code as string, 'vm');
    assert.ok(second.ok, second.ok ? '' : second.error.message);
    assert.deepEqual(second.value, {
      websetup: websetupAddress,
      hostname: 'vm-2',
      requested: 'vm',
      networks: ['home lab'],
    });
    assert.equal(lima.hostname, 'vm-2', 'the device takes the name websetup gave it');
    assert.deepEqual(lima.enrolment.networks([])[0]?.names, ['home lab']);
    await waitFor(
      'each named on the other',
      () => kilo.hosts.resolve('vm-2') === lima.address && lima.hosts.resolve('vm') === kilo.address,
    );
    assert.ok(kilo.whitelist.state.addresses.includes(lima.address));
    assert.ok(lima.whitelist.state.addresses.includes(kilo.address));
  });

  test('the dashboard puts two devices in a network: each whitelists the other by name; removal revokes', async () => {
    const code = (await api('POST', '/api/join-codes', { label: 'net' })).joinCode as string;
    const echo = await device('echo');
    const foxtrot = await device('foxtrot');
    assert.ok((await echo.enrolment.join(code, 'echo')).ok);
    assert.ok((await foxtrot.enrolment.join(code, 'foxtrot')).ok);
    const network = await api('POST', '/api/networks', { name: 'lab' });
    await api('POST', `/api/networks/${network.id as string}/devices`, { address: echo.address });
    await api('POST', `/api/networks/${network.id as string}/devices`, { address: foxtrot.address });
    await waitFor(
      'both whitelists',
      () =>
        echo.whitelist.state.addresses.includes(foxtrot.address) &&
        foxtrot.whitelist.state.addresses.includes(echo.address),
    );
    await waitFor(
      'both host tables',
      () =>
        echo.hosts.resolve('foxtrot') === foxtrot.address && foxtrot.hosts.resolve('echo') === echo.address,
    );

    await api(
      'DELETE',
      `/api/networks/${network.id as string}/devices/${encodeURIComponent(foxtrot.address)}`,
    );
    await waitFor('foxtrot revoked on echo', () => !echo.whitelist.state.addresses.includes(foxtrot.address));
    await waitFor('foxtrot’s name gone on echo', () => echo.hosts.resolve('foxtrot') === undefined);
    assert.ok(echo.whitelist.state.addresses.includes(websetupAddress), 'websetup stays reachable');
  });

  test('commands with a wrong secret, or from any address but websetup’s, are ignored', async () => {
    const code = (await api('POST', '/api/join-codes', { label: 'spoof' })).joinCode as string;
    const golf = await device('golf');
    assert.ok((await golf.enrolment.join(code, 'golf')).ok);
    const secret = JSON.parse(readFileSync(join(golf.dir, ENROLMENT_FILE), 'utf8')).websetup.secret as string;
    const intruderIdentity = generateIdentity();
    const intruder = formatAddress(intruderIdentity.address);
    const command = (
      withSecret: string,
      seq = 'AAAAA',
      cmd: WebsetupCommand = {
        kind: 'whitelist-add',
        address: parseOverlayAddress(intruder)!,
      },
    ) => {
      const encoded = encodeWebsetupCommand(withSecret, seq, cmd);
      assert.ok(encoded.ok);
      return encoded.value;
    };
    const replies: string[] = [];
    const spy = new OverlayUdp(WEBSETUP_SERVER_PORT);
    await net.attach(intruderIdentity, spy);
    await spy.open((bytes) => replies.push(new TextDecoder().decode(bytes)));
    const to = parseOverlayAddress(golf.address)!;
    const deliver = (from: string, bytes: Uint8Array) =>
      net.deliver(
        buildUdpPacket(parseOverlayAddress(from)!, WEBSETUP_SERVER_PORT, to, WEBSETUP_NODE_PORT, bytes),
      );
    // From websetup's address but with a wrong secret; then the right secret from another address.
    deliver(websetupAddress, command('f'.repeat(24)));
    deliver(intruder, command(secret));
    // Then a genuine command: golf takes its port's datagrams one after the other, so once this one
    // is applied, the two before it have been dealt with.
    const probe = generateIdentity().address;
    deliver(
      websetupAddress,
      command(secret, 'AAAAB', { kind: 'host-add', address: probe, hostname: 'probe' }),
    );
    await waitFor('the genuine command', () => golf.hosts.resolve('probe') === formatAddress(probe));
    assert.ok(!golf.whitelist.state.addresses.includes(intruder));
    assert.deepEqual(replies, [], 'no answer gives a stranger nothing to learn from');
    assert.equal(golf.management.isManaged(intruderIdentity.address), false);
    assert.equal(net.toTun.get(golf.address)?.length, 1, 'another peer’s datagram is not the port’s');
  });

  test('renaming a device in the dashboard renames it on the device', async () => {
    const charlie = devices.find((d) => d.hostname === 'charlie-laptop')!;
    await api('PATCH', `/api/devices/${encodeURIComponent(charlie.address)}`, { hostname: 'charlie-desk' });
    await waitFor('set-hostname', () => charlie.hostname === 'charlie-desk');
  });

  test('leaving takes back what websetup added and keeps what the user added', async () => {
    const code = (await api('POST', '/api/join-codes', { label: 'leave' })).joinCode as string;
    const hotel = await device('hotel');
    const india = await device('india');
    const juliet = await device('juliet');
    // Hotel's user knew India before joining: that entry is theirs, not websetup's.
    assert.ok((await hotel.whitelist.add(india.address)).ok);
    for (const d of [hotel, india, juliet]) assert.ok((await d.enrolment.join(code, d.hostname)).ok);
    assert.deepEqual(
      hotel.enrolment.networks([]).map((n) => [n.websetup, n.state, n.hostname, n.reach]),
      [[websetupAddress, 'joined', 'hotel', 'offline']],
    );
    const network = await api('POST', '/api/networks', { name: 'leavers' });
    for (const d of [hotel, india, juliet])
      await api('POST', `/api/networks/${network.id as string}/devices`, { address: d.address });
    await waitFor('the network on hotel', () => hotel.hosts.resolve('juliet') === juliet.address);
    await waitFor('both names on hotel', () => hotel.hosts.resolve('india') === india.address);

    const wrong = await hotel.enrolment.leave(juliet.address);
    assert.equal(wrong.ok ? 'left' : wrong.error.kind, 'NotFound', 'only the websetup it joined');
    const left = await hotel.enrolment.leave(websetupAddress);
    assert.ok(left.ok, left.ok ? '' : left.error.message);
    assert.deepEqual(left.value.removed.addresses.sort(), [juliet.address, websetupAddress].sort());
    assert.deepEqual(left.value.removed.hostnames.sort(), ['india', 'juliet']);
    assert.deepEqual(hotel.whitelist.state.addresses, [india.address], 'the user’s own entry stays');
    assert.deepEqual(hotel.hosts.entries, []);
    assert.deepEqual(hotel.enrolment.networks([]), []);
    assert.equal(hotel.management.isManaged(websetupIdentity.address), false, 'websetup is a peer again');
    assert.equal(JSON.parse(readFileSync(join(hotel.dir, ENROLMENT_FILE), 'utf8')).websetup, undefined);

    // Websetup's later pushes find no link and change nothing.
    await api('DELETE', `/api/networks/${network.id as string}/devices/${encodeURIComponent(india.address)}`);
    await waitFor('india revoked on juliet', () => !juliet.whitelist.state.addresses.includes(india.address));
    assert.deepEqual(hotel.whitelist.state.addresses, [india.address]);
    const again = await hotel.enrolment.leave();
    assert.equal(again.ok ? 'left' : again.error.kind, 'NotFound');
  });
});
