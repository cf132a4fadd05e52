// Test helper run as its own process by stack-under-flood.test.ts: the whole stack in this process,
// told over stdin to use up every file descriptor left ("exhaust") and to give them back
// ("release"). After each it tries a database write and says how it went, as one JSON line.
// Usage: stack-under-flood.test-script.ts <hnet-server options…>
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createLogger } from '../src-main/engine/client.js';
import { ServerStack } from './server-stack.js';
import { parseStackOptions } from './stack-config.js';

const parsed = parseStackOptions(process.argv.slice(2), new Set(['base', 'dashboard', 'websetup']), 'test');
if (!parsed.ok || !parsed.value) throw new Error(parsed.ok ? 'no options' : parsed.message);
const stack = await ServerStack.start(parsed.value, createLogger('warn'));
const held: number[] = [];
let writes = 0;

async function storeWrite(): Promise<string> {
  try {
    const created = await stack.store.createAccount(`user${++writes}@example.org`, 'not a real hash');
    return created.ok ? 'ok' : created.error.message;
  } catch (error) {
    return (error as Error).message;
  }
}

const report = (fields: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(fields)}\n`);
};

report({ ready: 'hnet-server ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exhaust') {
    try {
      for (;;) held.push(openSync('/dev/null', 'r'));
    } catch (error) {
      report({ exhausted: (error as NodeJS.ErrnoException).code, store: await storeWrite() });
    }
  } else if (line === 'release') {
    for (const fd of held.splice(0)) closeSync(fd);
    const websetup = stack.websetup!.address;
    const registered = stack.base!.status().devices.some((device) => device.address === websetup);
    report({ released: true, store: await storeWrite(), websetupRegistered: registered });
  }
}
await stack.close();
