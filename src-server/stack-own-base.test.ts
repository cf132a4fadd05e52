// The stack's websetup node registers with the base server beside it, whichever address `--tcp`
// binds that base to: a base on one IP does not answer on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '../src-main/engine/log.js';
import { ServerStack } from './server-stack.js';
import { parseStackOptions, type StackPart } from './stack-config.js';

const parts = new Set<StackPart>(['base', 'websetup']);

/** A TCP port nothing listens on at `ip` right now. */
async function freePort(ip: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  // Only a guard against hanging: websetup dials its base at once, and retries every 3 s.
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the websetup node of a stack', () => {
  test('dials the address --tcp names, or loopback when the base listens on every address', () => {
    for (const [listen, dialed] of [
      ['10.1.2.3:443', '10.1.2.3:443'],
      ['0.0.0.0:443', '127.0.0.1:443'],
      ['[::]:8443', '[::1]:8443'],
      ['[2001:db8::7]:443', '[2001:db8::7]:443'],
    ]) {
      const parsed = parseStackOptions(['--tcp', listen!, '--no-metrics'], parts, 'hnet-server');
      assert.ok(parsed.ok && parsed.value, listen);
      assert.deepEqual(parsed.value.websetupBase, [dialed], listen);
    }
  });

  test('registers with its base when that base is bound to one specific IP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hnet-stack-base-'));
    // 127.0.0.2 is loopback too, but a socket bound to it is not reached through 127.0.0.1.
    const ip = '127.0.0.2';
    const parsed = parseStackOptions(
      [
        '--state-dir',
        dir,
        '--tcp',
        `${ip}:${await freePort(ip)}`,
        '--udp',
        `${ip}:0`,
        '--no-metrics',
        '--websetup-udp',
        String(30_000 + Math.floor(Math.random() * 20_000)),
      ],
      parts,
      'hnet-server',
    );
    assert.ok(parsed.ok && parsed.value);
    const stack = await ServerStack.start(parsed.value, createLogger('error'));
    try {
      const websetup = stack.websetup!.address;
      await waitFor('websetup in the base server’s clients', () =>
        stack.base!.status().devices.some((device) => device.address === websetup),
      );
    } finally {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
