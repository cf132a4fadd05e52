// The device's websetup port, driven command by command by a test standing in for websetup: it
// answers the join with init-response, then sends what a websetup may send, with the real codecs.
// The port is the one the data plane holds (management-port.ts); the overlay between it and the
// stand-in is a packet switch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { formatAddress } from '../../../src-protocol/address.js';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../../src-protocol/identity.js';
import {
  checkJoinProof,
  decodeNodeToWebsetup,
  encodeWebsetupCommand,
  formatJoinCode,
  generateJoinCode,
  WEBSETUP_NODE_PORT,
  WEBSETUP_SERVER_PORT,
  type NodeToWebsetup,
  type WebsetupCommand,
  type WebsetupReply,
} from '../../../src-protocol/websetup-messages.js';
import { OverlayUdp } from '../../../src-server/websetup/overlay-udp.js';
import { EngineEnrolment } from './enrolment.js';
import { success } from '../../contract/errors.js';
import { HostTable } from '../state/host-table.js';
import { createLogger } from '../log.js';
import type { ManagementPort } from '../packets/management-port.js';
import { ManagementSwitch } from '../../testnet/management-switch.js';
import { Whitelist } from '../state/whitelist.js';

describe('websetup client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-websetup-client-'));
  let websetup: Identity;
  let device: Identity;
  let whitelist: Whitelist;
  let hosts: HostTable;
  let enrolment: EngineEnrolment;
  /** The engine's live config: the device's own name changes as websetup renames it. */
  const config = { stateDir: dir, hostname: 'device' };
  let send: (bytes: Uint8Array) => void = () => undefined;
  let management: ManagementPort;
  const heard: NodeToWebsetup[] = [];
  let secret = '';
  let seq = 0;

  /** Sends a command as websetup and resolves with the device's reply to it. */
  async function command(
    cmd: WebsetupCommand,
    withSecret = secret,
    id = `S${String(++seq).padStart(4, '0')}`,
  ): Promise<WebsetupReply | undefined> {
    const encoded = encodeWebsetupCommand(withSecret, id, cmd);
    assert.ok(encoded.ok);
    send(encoded.value);
    return replyTo(id);
  }

  /** The device's reply to command `id`, once it arrives (undefined if none came in 10 s: stuck). */
  async function replyTo(id: string): Promise<WebsetupReply | undefined> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const reply = heard.find((m) => m.kind === 'reply' && m.seq === id);
      if (reply?.kind === 'reply') return reply.reply;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return undefined;
  }

  before(async () => {
    // The join's retry timer runs on a clock the tests move (mock.timers.tick), so "no more
    // requests" is a statement about the timer's turns, not about how long a test waited.
    mock.timers.enable({ apis: ['setInterval'] });
    await initCrypto();
    websetup = generateIdentity();
    device = generateIdentity();
    const opened = await Whitelist.open(join(dir, 'whitelist.json'));
    const table = await HostTable.open(join(dir, 'hosts.json'));
    assert.ok(opened.ok && table.ok);
    whitelist = opened.value;
    hosts = table.value;
    const net = new ManagementSwitch();
    const websetupSide = new OverlayUdp(WEBSETUP_SERVER_PORT);
    await net.attach(websetup, websetupSide);
    management = net.device(device);
    const websetupPort = await websetupSide.open((bytes) => {
      const message = decodeNodeToWebsetup(bytes);
      if (message.ok) heard.push(message.value);
    });
    send = (bytes) => websetupPort.send(bytes, formatAddress(device.address), WEBSETUP_NODE_PORT);
    enrolment = new EngineEnrolment(
      {
        config,
        identity: device,
        whitelist,
        hosts,
        log: createLogger('error'),
        management,
        changed: () => undefined,
        useBaseServers: () => Promise.resolve(success(undefined)),
        setHostname: (name) => {
          config.hostname = name;
          return Promise.resolve(success(undefined));
        },
      },
      { retryMs: 100, joinWaitMs: 3000 },
    );
  });
  after(async () => {
    await enrolment?.stop();
    mock.timers.reset();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a pending join repeats its request until init-response arrives', async () => {
    const code = generateJoinCode();
    const joining = enrolment.join(formatJoinCode({ websetup: websetup.address, code }), 'laptop');
    const deadline = Date.now() + 2000;
    while (heard.filter((m) => m.kind === 'init-request-join-code').length < 2 && Date.now() < deadline) {
      mock.timers.tick(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const requests = heard.filter((m) => m.kind === 'init-request-join-code');
    assert.ok(requests.length >= 2, 'the request is repeated while no answer comes');
    assert.ok(management.isManaged(websetup.address), 'websetup is the device’s management peer');
    const request = requests[0]!;
    assert.ok(request.kind === 'init-request-join-code');
    assert.equal(request.code, code);
    assert.equal(request.hostname, 'laptop');
    assert.ok(request.proof, 'the request carries the engine’s proof');
    assert.deepEqual(checkJoinProof(request, request.proof, websetup.address, device.address), {
      ok: true,
      value: undefined,
    });
    secret = request.secret;
    assert.deepEqual(await command({ kind: 'init-response', payload: '{}' }), { kind: 'ok' });
    const joined = await joining;
    assert.ok(joined.ok);
    assert.equal(config.hostname, 'laptop');
  });

  test('ping, version and latency are answered', async () => {
    assert.deepEqual(await command({ kind: 'ping' }), { kind: 'pong' });
    const version = await command({ kind: 'get-version' });
    assert.equal(version?.kind, 'version');
    assert.deepEqual(await command({ kind: 'get-latency', address: device.address }), {
      kind: 'latency',
      ms: -1,
    });
  });

  test('whitelist and host commands change the device, and repeating them is harmless', async () => {
    const peerBytes = generateIdentity().address;
    const peerText = formatAddress(peerBytes);
    assert.deepEqual(await command({ kind: 'whitelist-add', address: peerBytes }), { kind: 'ok' });
    assert.deepEqual(await command({ kind: 'whitelist-add', address: peerBytes }), { kind: 'ok' });
    assert.ok(whitelist.state.addresses.includes(peerText));
    assert.deepEqual(await command({ kind: 'host-add', address: peerBytes, hostname: 'peer' }), {
      kind: 'ok',
    });
    assert.equal(hosts.resolve('peer'), peerText);
    assert.deepEqual(await command({ kind: 'host-rm', address: peerBytes, hostname: 'peer' }), {
      kind: 'ok',
    });
    assert.equal(hosts.resolve('peer'), undefined);
    assert.deepEqual(await command({ kind: 'whitelist-rm', address: peerBytes }), { kind: 'ok' });
    assert.deepEqual(
      await command({ kind: 'whitelist-rm', address: peerBytes }),
      { kind: 'ok' },
      'already gone is fine',
    );
    assert.ok(!whitelist.state.addresses.includes(peerText));
  });

  test('websetup cannot remove itself from the whitelist, nor unmap a name now given to another device', async () => {
    assert.deepEqual(await command({ kind: 'whitelist-rm', address: websetup.address }), { kind: 'error' });
    assert.ok(whitelist.state.addresses.includes(formatAddress(websetup.address)));
    const first = generateIdentity().address;
    const second = generateIdentity().address;
    await command({ kind: 'host-add', address: second, hostname: 'printer' });
    await command({ kind: 'host-rm', address: first, hostname: 'printer' });
    assert.equal(hosts.resolve('printer'), formatAddress(second));
  });

  test('set-hostname renames the device; change-secret makes only the new secret work', async () => {
    assert.deepEqual(await command({ kind: 'set-hostname', hostname: 'desk' }), { kind: 'ok' });
    assert.equal(config.hostname, 'desk');
    const next = 'n'.repeat(24);
    assert.deepEqual(await command({ kind: 'change-secret', secret: next }), { kind: 'ok' });
    const stale = encodeWebsetupCommand(secret, 'Old01', { kind: 'ping' });
    assert.ok(stale.ok);
    send(stale.value);
    secret = next;
    // Answered in the order they came: once the later ping is answered, the stale one was dealt with.
    assert.deepEqual(await command({ kind: 'ping' }), { kind: 'pong' });
    assert.equal(
      heard.some((m) => m.kind === 'reply' && m.seq === 'Old01'),
      false,
      'the old secret gets no answer',
    );
  });

  test('an unknown command gets bad-command; cleanup empties everything but websetup', async () => {
    const id = 'Zz999';
    send(new TextEncoder().encode(`${secret}${id}format-disk\n`));
    assert.deepEqual(await replyTo(id), { kind: 'bad-command' });
    await command({ kind: 'whitelist-add', address: generateIdentity().address });
    assert.deepEqual(await command({ kind: 'cleanup' }), { kind: 'ok' });
    assert.deepEqual(whitelist.state.addresses, [formatAddress(websetup.address)]);
    assert.deepEqual(hosts.entries, []);
  });

  test('a pushed name may not be an internet name, the device’s own, or one set by hand', async () => {
    const peer = generateIdentity().address;
    const mine = generateIdentity().address;
    assert.ok((await hosts.add({ hostname: 'nas', address: formatAddress(mine) })).ok, 'by hand');
    const refused: WebsetupCommand[] = [
      { kind: 'host-add', address: peer, hostname: 'github.com' },
      { kind: 'host-add', address: peer, hostname: 'localhost' },
      { kind: 'host-add', address: peer, hostname: config.hostname.toUpperCase() },
      { kind: 'host-add', address: peer, hostname: 'NAS' },
      { kind: 'set-hostname', hostname: 'deb.debian.org' },
      { kind: 'set-hostname', hostname: 'nas' },
    ];
    for (const cmd of refused)
      assert.deepEqual(
        await command(cmd),
        { kind: 'error' },
        `${cmd.kind} ${'hostname' in cmd ? cmd.hostname : ''}`,
      );
    assert.deepEqual(
      hosts.entries.map((e) => `${e.hostname} ${e.address}`),
      [`nas ${formatAddress(mine)}`],
    );
    assert.equal(config.hostname, 'desk');
    assert.deepEqual(await command({ kind: 'host-rm', address: mine, hostname: 'nas' }), { kind: 'ok' });
    assert.equal(hosts.resolve('nas'), formatAddress(mine), 'websetup cannot take back what it did not add');
  });

  test('websetup takes back only what it added; the user’s whitelist entries and names stay', async () => {
    const users = generateIdentity().address;
    const pushed = generateIdentity().address;
    assert.ok((await whitelist.add(formatAddress(users))).ok, 'let in by hand');
    for (const address of [users, pushed]) await command({ kind: 'whitelist-add', address });
    await command({ kind: 'host-add', address: pushed, hostname: 'pushed' });
    assert.deepEqual(await command({ kind: 'whitelist-rm', address: users }), { kind: 'ok' });
    assert.ok(whitelist.state.addresses.includes(formatAddress(users)));
    assert.deepEqual(await command({ kind: 'cleanup' }), { kind: 'ok' });
    assert.deepEqual(
      [...whitelist.state.addresses].sort(),
      [formatAddress(websetup.address), formatAddress(users)].sort(),
    );
    assert.deepEqual(
      hosts.entries.map((e) => e.hostname),
      ['nas'],
    );
  });

  test('a resent command is answered again but not applied again, so it cannot undo a newer one', async () => {
    const peer = generateIdentity().address;
    const added = encodeWebsetupCommand(secret, 'Re001', {
      kind: 'host-add',
      address: peer,
      hostname: 'late',
    });
    assert.ok(added.ok);
    assert.deepEqual(await command({ kind: 'host-add', address: peer, hostname: 'late' }, secret, 'Re001'), {
      kind: 'ok',
    });
    assert.deepEqual(await command({ kind: 'host-rm', address: peer, hostname: 'late' }), { kind: 'ok' });
    const answers = () => heard.filter((m) => m.kind === 'reply' && m.seq === 'Re001').length;
    send(added.value);
    const deadline = Date.now() + 1000;
    while (answers() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(answers(), 2, 'the copy was answered');
    assert.equal(hosts.resolve('late'), undefined, 'and not applied over the newer host-rm');
  });

  test('a refused join ends at once and asks no more; init-response gives the name and the networks', async () => {
    /** Starts a join with a fresh code; resolves with its outcome once websetup has `answered`. */
    const joinWith = async (answer: WebsetupCommand) => {
      const code = generateJoinCode();
      const joining = enrolment.join(formatJoinCode({ websetup: websetup.address, code }), 'vm');
      const requests = () => heard.filter((m) => m.kind === 'init-request-join-code' && m.code === code);
      const deadline = Date.now() + 2000;
      while (requests().length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const [request] = requests();
      assert.ok(request?.kind === 'init-request-join-code', 'the join was asked');
      secret = request.secret;
      assert.deepEqual(await command(answer), { kind: 'ok' });
      return { result: await joining, requests };
    };

    const refused = await joinWith({ kind: 'hnet-join-refused', reason: 'unknown-code' });
    assert.match(
      refused.result.ok ? 'joined' : refused.result.error.message,
      /^unknown or revoked join code: /,
    );
    const [network] = enrolment.networks([]);
    assert.deepEqual([network?.state, network?.refusal], ['refused', 'unknown or revoked join code']);
    const asked = refused.requests().length;
    mock.timers.tick(500);
    // What those five turns of the retry timer sent would be on its way before this ping, and
    // heard before its answer.
    assert.deepEqual(await command({ kind: 'ping' }), { kind: 'pong' });
    assert.equal(refused.requests().length, asked, 'no more requests (one a turn before)');

    const payload = JSON.stringify({ hostname: 'vm-2', networks: ['home lab', 'bell\u0007', 3] });
    const taken = await joinWith({ kind: 'init-response', payload });
    assert.ok(taken.result.ok, taken.result.ok ? '' : taken.result.error.message);
    assert.deepEqual(taken.result.value, {
      websetup: formatAddress(websetup.address),
      hostname: 'vm-2',
      requested: 'vm',
      networks: ['home lab'],
    });
    assert.equal(config.hostname, 'vm-2', 'the device takes the name websetup gave it');
    assert.deepEqual(
      enrolment.networks([]).map((n) => [n.state, n.names]),
      [['joined', ['home lab']]],
    );
    assert.deepEqual(
      await command({ kind: 'hnet-join-refused', reason: 'unknown-code' }),
      { kind: 'error' },
      'a refusal with no join pending changes nothing',
    );
    assert.equal(enrolment.networks([])[0]?.state, 'joined');
  });
});
