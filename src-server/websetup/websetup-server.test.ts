// Websetup as devices see it: datagrams in and out of its overlay port, at the IP packet level
// where the engine's data plane would carry them. The devices here speak the real protocol codecs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../src-protocol/identity.js';
import { buildUdpPacket, parseUdpPacket } from '../../src-protocol/udp-packet.js';
import {
  encodeNodeRequest,
  encodeWebsetupReply,
  generateJoinCode,
  generateWebsetupSecret,
  openWebsetupDatagram,
  parseWebsetupCommand,
  proveJoin,
  WEBSETUP_NODE_PORT,
  WEBSETUP_SERVER_PORT,
  type JoinFields,
  type JoinProof,
  type WebsetupCommand,
} from '../../src-protocol/websetup-messages.js';
import { createLogger } from '../../src-main/engine/log.js';
import { hashSecret } from '../store/secret-hash.js';
import { Store } from '../store/store.js';
import { OverlayUdp } from './overlay-udp.js';
import { WebsetupServer } from './websetup-server.js';

await initCrypto();
const websetupIdentity = generateIdentity();
const WEBSETUP = websetupIdentity.address;
const canonical = (text: string): string => formatAddress(parseOverlayAddress(text)!);
const A1 = canonical('fc94::a1');
const B2 = canonical('fc94::b2');
const BAD = canonical('fc94::bad');
const C3 = canonical('fc94::c3');
const D4 = canonical('fc94::d4');
const E5 = canonical('fc94::e5');
const F6 = canonical('fc94::f6');

/** A device as far as websetup can tell: an overlay address, a secret, and replies to commands. */
class Device {
  readonly secret = generateWebsetupSecret();
  readonly received: { seq: string; command: WebsetupCommand }[] = [];
  answer = true;
  constructor(
    readonly address: string,
    private readonly inject: (packet: Uint8Array) => void,
  ) {}

  send(bytes: Uint8Array, from = this.address): void {
    const source = parseOverlayAddress(from)!;
    this.inject(buildUdpPacket(source, WEBSETUP_NODE_PORT, WEBSETUP, WEBSETUP_SERVER_PORT, bytes));
  }

  /** A join request, with the proof `prove` makes (an hnet device) or none (a stock one). */
  join(code: string, hostname: string, prove?: (fields: JoinFields) => JoinProof): void {
    const fields = { code, secret: this.secret, hostname };
    const request = encodeNodeRequest({
      kind: 'init-request-join-code',
      ...fields,
      ...(prove && { proof: prove(fields) }),
    });
    assert.ok(request.ok);
    this.send(request.value);
  }

  deliver(bytes: Uint8Array): void {
    const opened = openWebsetupDatagram(bytes, this.secret);
    if (!opened.ok) return;
    const command = parseWebsetupCommand(opened.value);
    assert.ok(command.ok, `websetup sent a command a device refuses: ${JSON.stringify(opened.value)}`);
    this.received.push({ seq: opened.value.seq, command: command.value });
    if (!this.answer) return;
    const reply = encodeWebsetupReply(opened.value.seq, { kind: 'ok' });
    assert.ok(reply.ok);
    this.send(reply.value);
  }

  /** Commands as `kind payload` lines, in the order they arrived. */
  lines(): string[] {
    return this.received.map(({ command }) => {
      switch (command.kind) {
        case 'whitelist-add':
        case 'whitelist-rm':
          return `${command.kind} ${formatAddress(command.address)}`;
        case 'host-add':
        case 'host-rm':
          return `${command.kind} ${formatAddress(command.address)} ${command.hostname}`;
        case 'set-hostname':
          return `${command.kind} ${command.hostname}`;
        default:
          return command.kind;
      }
    });
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('websetup server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-websetup-'));
  let store: Store;
  let server: WebsetupServer;
  let accountId = '';
  let code = '';
  const devices = new Map<string, Device>();
  const stray: Uint8Array[] = [];
  /** What websetup logged: its decisions about each request, the refusals included. */
  const logged: string[] = [];
  /** Datagrams its port handed to websetup, by source address. */
  const handed: string[] = [];
  let inject: (packet: Uint8Array) => void = () => undefined;

  /**
   * Waits until websetup has logged `count` decisions matching `pattern`, then one turn more, so
   * that anything it sent along with them has reached the device.
   */
  const decided = async (pattern: string, count = 1): Promise<void> => {
    const matching = new RegExp(`event=${pattern}`);
    await waitFor(pattern, () => logged.filter((line) => matching.test(line)).length >= count);
    await new Promise((resolve) => setImmediate(resolve));
  };

  const device = (address: string) => {
    const d = new Device(address, (packet) => inject(packet));
    devices.set(address, d);
    return d;
  };

  before(async () => {
    store = await Store.open(join(dir, 'hnet.sqlite'));
    const account = await store.createAccount('ops@example.org', 'hash');
    assert.ok(account.ok);
    accountId = account.value.id;
    code = generateJoinCode();
    await store.createJoinCode(accountId, 'lab', hashSecret(code));
    const overlay = new OverlayUdp(WEBSETUP_SERVER_PORT);
    // The data plane's side of the TUN: packets websetup sends come out here and go to the device
    // they are addressed to; packets from devices go in through `write`.
    const tun = await overlay.openTun(
      websetupIdentity,
      (packet) => {
        const udp = parseUdpPacket(packet);
        assert.ok(udp, 'websetup sent a packet that is not valid UDP over IPv6');
        assert.equal(udp.destinationPort, WEBSETUP_NODE_PORT);
        const target = devices.get(formatAddress(udp.destination));
        if (target) setImmediate(() => target.deliver(udp.payload));
        else stray.push(packet);
      },
      (reason) => assert.fail(reason),
    );
    inject = (packet) => void tun.write(packet);
    server = await WebsetupServer.start({
      store,
      open: (onDatagram) =>
        overlay.open((bytes, ip, port) => {
          handed.push(ip);
          onDatagram(bytes, ip, port);
        }),
      log: createLogger('debug', (line) => logged.push(line)),
      address: WEBSETUP,
      retryMs: 300,
      sweepMs: 60_000,
    });
  });
  after(async () => {
    await server?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a device joining with a valid code is claimed for its account and gets init-response', async () => {
    const alpha = device(A1);
    alpha.join(code, 'alpha');
    await waitFor('init-response', () => alpha.lines().includes('init-response'));
    const devicesOfAccount = await store.devices(accountId);
    assert.deepEqual(
      devicesOfAccount.map((d) => [d.address, d.hostname]),
      [[A1, 'alpha']],
    );
    alpha.join(code, 'alpha');
    await waitFor(
      'a second init-response',
      () => alpha.lines().filter((l) => l === 'init-response').length === 2,
    );
    assert.equal((await store.devices(accountId)).length, 1, 'repeating a join changes nothing');
  });

  test('a join with an unknown code is ignored', async () => {
    const mallory = device(BAD);
    mallory.join(generateJoinCode(), 'mallory');
    await decided(`websetup-unknown-join-code .*from=${BAD} answered=false`);
    assert.deepEqual(mallory.received, []);
    assert.equal(await store.deviceContact(BAD), undefined);
  });

  test('putting two devices in a network pushes each one the other, whitelist before host name', async () => {
    const bravo = device(B2);
    bravo.join(code, 'bravo');
    await waitFor('bravo joined', () => bravo.lines().includes('init-response'));
    const alpha = devices.get(A1)!;
    const network = await store.createNetwork(accountId, 'lab');
    await store.addToNetwork(accountId, network.id, A1);
    await store.addToNetwork(accountId, network.id, B2);
    server.devicesChanged([A1, B2]);
    await waitFor('both confirmed', async () => (await store.pushedEntries(A1)).length === 3);
    await waitFor('bravo confirmed', async () => (await store.pushedEntries(B2)).length === 3);
    const pushed = alpha.lines().filter((l) => l !== 'init-response');
    assert.deepEqual(pushed, [`whitelist-add ${B2}`, `host-add ${B2} bravo`]);
    assert.deepEqual(
      bravo.lines().filter((l) => l !== 'init-response'),
      [`whitelist-add ${A1}`, `host-add ${A1} alpha`],
    );

    // Taking bravo out revokes it on alpha: host name first, then the whitelist entry.
    await store.removeFromNetwork(accountId, network.id, B2);
    server.devicesChanged([A1, B2]);
    await waitFor('alpha revoked bravo', async () => (await store.pushedEntries(A1)).length === 1);
    assert.deepEqual(alpha.lines().slice(-2), [`host-rm ${B2} bravo`, `whitelist-rm ${B2}`]);
  });

  /** A device that joins, then stops answering, and is put in a new network with alpha. */
  const silentInNetworkWithAlpha = async (address: string, hostname: string): Promise<Device> => {
    const joined = device(address);
    joined.join(code, hostname);
    await waitFor(`${hostname} joined`, () => joined.lines().includes('init-response'));
    joined.answer = false;
    const network = await store.createNetwork(accountId, `with ${hostname}`);
    await store.addToNetwork(accountId, network.id, address);
    await store.addToNetwork(accountId, network.id, A1);
    server.devicesChanged([address]);
    return joined;
  };

  test('an unconfirmed command is sent again until the device answers', async () => {
    const charlie = await silentInNetworkWithAlpha(C3, 'charlie');
    await waitFor('a resend', () => charlie.lines().filter((l) => l === `whitelist-add ${A1}`).length >= 2);
    const seqs = charlie.received.filter((r) => r.command.kind === 'whitelist-add').map((r) => r.seq);
    assert.equal(new Set(seqs).size, 1, 'a resend keeps its sequence number');
    assert.deepEqual(
      await store.pushedEntries(C3),
      ['hostname charlie'],
      'nothing counts before it is confirmed',
    );
    charlie.answer = true;
    await waitFor('confirmation', async () => (await store.pushedEntries(C3)).length === 3, 5000);
  });

  test('a reply from another address does not confirm a command', async () => {
    const delta = await silentInNetworkWithAlpha(D4, 'delta');
    await waitFor('a command to delta', () => delta.received.length > 1);
    const seq = delta.received.at(-1)!.seq;
    const forged = encodeWebsetupReply(seq, { kind: 'ok' });
    assert.ok(forged.ok);
    const sent = () => delta.received.filter((r) => r.seq === seq).length;
    const before = sent();
    delta.send(forged.value, E5);
    // Still unconfirmed, so websetup sends it again; confirmed, it never would.
    await waitFor('the command sent again', () => sent() > before, 10_000);
    assert.deepEqual(await store.pushedEntries(D4), ['hostname delta']);
  });

  test('renaming a device in the dashboard pushes set-hostname to it', async () => {
    const alpha = devices.get(A1)!;
    await store.renameDevice(accountId, A1, 'alpha-2');
    server.devicesChanged([A1]);
    await waitFor('set-hostname', () => alpha.lines().includes('set-hostname alpha-2'));
    await waitFor('confirmed', async () => (await store.pushedEntries(A1)).includes('hostname alpha-2'));
    assert.ok(!(await store.pushedEntries(A1)).includes('hostname alpha'));
  });

  test('a device joining under an internet name is given its first label, and told', async () => {
    const golf = device(canonical('fc94::90'));
    golf.join(code, 'golf.example.org');
    await waitFor('golf renamed', () => golf.lines().includes('set-hostname golf'));
    assert.equal((await store.deviceContact(golf.address))?.hostname, 'golf');
  });

  test('packets to another port or address, or with a broken checksum, are not taken', async () => {
    const before = (await store.devices(accountId)).length;
    const request = encodeNodeRequest({
      kind: 'init-request-join-code',
      code,
      secret: generateWebsetupSecret(),
      hostname: 'sneaky',
    });
    assert.ok(request.ok);
    const source = parseOverlayAddress(F6)!;
    const wrongPort = buildUdpPacket(
      source,
      WEBSETUP_NODE_PORT,
      WEBSETUP,
      WEBSETUP_SERVER_PORT + 1,
      request.value,
    );
    const wrongAddress = buildUdpPacket(
      source,
      WEBSETUP_NODE_PORT,
      parseOverlayAddress('fc94:aaaa::2')!,
      WEBSETUP_SERVER_PORT,
      request.value,
    );
    const broken = buildUdpPacket(source, WEBSETUP_NODE_PORT, WEBSETUP, WEBSETUP_SERVER_PORT, request.value);
    broken[broken.length - 1]! ^= 0x01;
    const handedBefore = handed.length;
    // The port decides as each packet is written to it: none reaches websetup.
    for (const packet of [wrongPort, wrongAddress, broken]) inject(packet);
    assert.equal(handed.length, handedBefore);
    assert.equal((await store.devices(accountId)).length, before);
  });

  /** An hnet device: its address derives from a real key, with which it proves its joins. */
  const signingDevice = (): { identity: Identity; device: Device; prove: (f: JoinFields) => JoinProof } => {
    const identity = generateIdentity();
    const prove = (fields: JoinFields) => proveJoin(identity, WEBSETUP, fields);
    return { identity, device: device(formatAddress(identity.address)), prove };
  };

  test('a signed join is taken; one whose proof does not hold is refused and changes nothing', async () => {
    const hotel = signingDevice();
    hotel.device.join(code, 'hotel', hotel.prove);
    await waitFor('hotel joined', () => hotel.device.lines().includes('init-response'));

    const india = signingDevice();
    const refused: ((fields: JoinFields) => JoinProof)[] = [
      (fields) => proveJoin(india.identity, generateIdentity().address, fields),
      (fields) => proveJoin(india.identity, WEBSETUP, { ...fields, hostname: 'elsewhere' }),
      (fields) => proveJoin(generateIdentity(), WEBSETUP, fields),
    ];
    for (const prove of refused) india.device.join(code, 'india', prove);
    await decided(`websetup-join-refused .*device=${india.device.address} `, 3);
    assert.deepEqual(india.device.received, [], 'signed for another websetup, request or key: no answer');
    assert.equal(await store.deviceContact(india.device.address), undefined);
  });

  test('a signed join with an unknown or revoked code is answered hnet-join-refused and changes nothing', async () => {
    const revoked = generateJoinCode();
    const created = await store.createJoinCode(accountId, 'revoked', hashSecret(revoked));
    assert.ok(created.ok && (await store.revokeJoinCode(accountId, created.value.id)).ok);
    for (const tried of [generateJoinCode(), revoked]) {
      const mike = signingDevice();
      mike.device.join(tried, 'mike', mike.prove);
      await waitFor('the refusal', () => mike.device.received.length > 0);
      assert.deepEqual(
        mike.device.received.map((r) => r.command),
        [{ kind: 'hnet-join-refused', reason: 'unknown-code' }],
      );
      assert.equal(await store.deviceContact(mike.device.address), undefined);
    }
    const stock = device(canonical('fc94::5a'));
    stock.join(revoked, 'stock');
    await decided(`websetup-unknown-join-code .*from=${stock.address} answered=false`);
    assert.deepEqual(stock.received, [], 'a stock device, which never signs, hears nothing as before');
  });

  test('a code for a network puts the device in it at once: it is told its name and network, members hear of it', async () => {
    const network = await store.createNetwork(accountId, 'home lab');
    const networkCode = generateJoinCode();
    assert.ok((await store.createJoinCode(accountId, 'home', hashSecret(networkCode), network.id)).ok);
    const kilo = signingDevice();
    kilo.device.join(networkCode, 'vm', kilo.prove);
    await waitFor('kilo joined', () => kilo.device.lines().includes('init-response'));
    const lima = signingDevice();
    lima.device.join(networkCode, 'vm', lima.prove);
    await waitFor('lima joined', () => lima.device.lines().includes('init-response'));
    const answer = lima.device.received.find((r) => r.command.kind === 'init-response')!.command;
    assert.deepEqual(JSON.parse(answer.kind === 'init-response' ? answer.payload : ''), {
      hostname: 'vm-2',
      networks: ['home lab'],
    });
    // No dashboard call: the join itself brings each the other.
    await waitFor('kilo learns of lima', () =>
      kilo.device.lines().includes(`host-add ${lima.device.address} vm-2`),
    );
    assert.ok(kilo.device.lines().includes(`whitelist-add ${lima.device.address}`));
    await waitFor('lima learns of kilo', () =>
      lima.device.lines().includes(`host-add ${kilo.device.address} vm`),
    );
    assert.ok(lima.device.lines().includes('set-hostname vm-2'));
  });

  test('once a device has signed its join, an unsigned one in its name cannot move it', async () => {
    const juliet = signingDevice();
    juliet.device.join(code, 'juliet', juliet.prove);
    await waitFor('juliet joined', () => juliet.device.lines().includes('init-response'));
    const mallory = await store.createAccount('mallory@example.org', 'hash');
    assert.ok(mallory.ok);
    const theirCode = generateJoinCode();
    await store.createJoinCode(mallory.value.id, 'theirs', hashSecret(theirCode));
    // What a local user on juliet would send from juliet's address, with a secret of their own.
    const forger = new Device(juliet.device.address, (packet) => inject(packet));
    const refusal = `websetup-join-refused .*device=${juliet.device.address} `;
    forger.join(theirCode, 'juliet');
    await decided(refusal);
    assert.deepEqual(
      (await store.devices(accountId)).filter((d) => d.address === juliet.device.address).length,
      1,
      'still in its owner’s account',
    );
    assert.deepEqual(await store.devices(mallory.value.id), []);
    assert.equal((await store.deviceContact(juliet.device.address))?.secret, juliet.device.secret);

    // Deleted from the dashboard, the device still signs: the record outlives it.
    assert.ok((await store.deleteDevice(accountId, juliet.device.address)).ok);
    forger.join(theirCode, 'juliet');
    await decided(refusal, 2);
    assert.deepEqual(await store.devices(mallory.value.id), []);
  });
});
