// Two websetup nodes (two servers' stacks) on one database and one change channel: a device takes
// commands only from the node it joined through, so only that node sends it any, and a change
// announced by the other node's server reaches it through its own node at once.
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
  WEBSETUP_NODE_PORT,
  WEBSETUP_SERVER_PORT,
} from '../../src-protocol/websetup-messages.js';
import { createLogger } from '../../src-main/engine/log.js';
import { localChanges } from '../store/pg-notifications.js';
import { hashSecret } from '../store/secret-hash.js';
import { Store } from '../store/store.js';
import { OverlayUdp } from './overlay-udp.js';
import { WebsetupServer } from './websetup-server.js';

await initCrypto();
const address = (text: string): string => formatAddress(parseOverlayAddress(text)!);
const ALPHA = address('fc94::a1');
const BRAVO = address('fc94::b2');

/** A device: what it heard, from which node, answering only the node it joined through. */
interface Device {
  address: string;
  secret: string;
  websetup: string;
  heard: { from: string; command: string }[];
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('two websetup nodes on one database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-websetup-two-'));
  const changes = localChanges();
  const devices = new Map<string, Device>();
  const nodes: { identity: Identity; server: WebsetupServer; inject: (packet: Uint8Array) => void }[] = [];
  let store: Store;
  let accountId = '';
  let networkId = '';

  const send = (device: Device, bytes: Uint8Array): void => {
    const node = nodes.find((n) => formatAddress(n.identity.address) === device.websetup)!;
    const packet = buildUdpPacket(
      parseOverlayAddress(device.address)!,
      WEBSETUP_NODE_PORT,
      node.identity.address,
      WEBSETUP_SERVER_PORT,
      bytes,
    );
    node.inject(packet);
  };

  const startNode = async () => {
    const identity = generateIdentity();
    const overlay = new OverlayUdp(WEBSETUP_SERVER_PORT);
    const from = formatAddress(identity.address);
    const tun = await overlay.openTun(
      identity,
      (packet) => {
        const udp = parseUdpPacket(packet);
        const device = udp && devices.get(formatAddress(udp.destination));
        if (!udp || !device) return;
        const opened = openWebsetupDatagram(udp.payload, device.secret);
        if (!opened.ok) return;
        const command = parseWebsetupCommand(opened.value);
        assert.ok(command.ok);
        device.heard.push({ from, command: command.value.kind });
        // As the engine does (websetup-client.ts): commands from any other node are not taken.
        if (from !== device.websetup) return;
        const reply = encodeWebsetupReply(opened.value.seq, { kind: 'ok' });
        assert.ok(reply.ok);
        setImmediate(() => send(device, reply.value));
      },
      (reason) => assert.fail(reason),
    );
    const server = await WebsetupServer.start({
      store,
      open: overlay.open,
      log: createLogger('error'),
      address: identity.address,
      changes,
      retryMs: 300,
      sweepMs: 60_000,
    });
    nodes.push({ identity, server, inject: (packet) => void tun.write(packet) });
  };

  /** The device joins through node `n` with a code for the network. */
  const joinThrough = async (deviceAddress: string, hostname: string, n: number): Promise<Device> => {
    const code = generateJoinCode();
    assert.ok((await store.createJoinCode(accountId, hostname, hashSecret(code), networkId)).ok);
    const device: Device = {
      address: deviceAddress,
      secret: generateWebsetupSecret(),
      websetup: formatAddress(nodes[n]!.identity.address),
      heard: [],
    };
    devices.set(deviceAddress, device);
    const request = encodeNodeRequest({
      kind: 'init-request-join-code',
      code,
      secret: device.secret,
      hostname,
    });
    assert.ok(request.ok);
    send(device, request.value);
    await waitFor(`${hostname}'s init-response`, () =>
      device.heard.some((h) => h.command === 'init-response'),
    );
    return device;
  };

  before(async () => {
    store = await Store.open(join(dir, 'hnet.sqlite'));
    const account = await store.createAccount('ops@example.org', 'hash');
    assert.ok(account.ok);
    accountId = account.value.id;
    networkId = (await store.createNetwork(accountId, 'fleet')).id;
    await startNode();
    await startNode();
  });
  after(async () => {
    for (const node of nodes) await node.server.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each device hears only its own node, and a change announced by the other reaches it at once', async () => {
    const alpha = await joinThrough(ALPHA, 'alpha', 0);
    const bravo = await joinThrough(BRAVO, 'bravo', 1);
    // Bravo's joining, handled by node 2, gives alpha a new peer: node 1 tells it.
    await waitFor('alpha whitelists bravo', () => alpha.heard.some((h) => h.command === 'whitelist-add'));
    await waitFor('bravo whitelists alpha', () => bravo.heard.some((h) => h.command === 'whitelist-add'));

    assert.ok((await store.renameDevice(accountId, ALPHA, 'alpha-prime')).ok);
    // What the dashboard of node 2's server does after a change.
    nodes[1]!.server.devicesChanged([ALPHA, BRAVO]);
    await waitFor('alpha renamed', () => alpha.heard.some((h) => h.command === 'set-hostname'));
    await waitFor(
      'bravo told the new name',
      () => bravo.heard.filter((h) => h.command === 'host-add').length >= 2,
    );

    for (const device of [alpha, bravo])
      assert.deepEqual(
        device.heard.filter((h) => h.from !== device.websetup),
        [],
        `${device.address} heard only the node it joined through`,
      );
  });
});
