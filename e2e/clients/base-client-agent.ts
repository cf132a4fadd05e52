// A base-server client as a process, for network namespaces: it registers, punches its NAT with
// NAT_INIT, asks for its peers' addresses, sends them DATA every so often (over UDP once NAT_OK
// came, else over TCP) and prints one JSON line per event for the test to wait on:
//   {"event":"state"|"natOk"|"addresses"|"data", …}
// Usage: base-client-agent.ts --base IP:PORT --identity FILE [--peer ADDRESS]… [--data-interval-ms N]
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { formatEndpoint, makeEndpoint, parseEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import { parseIdentityFile } from '../../src-protocol/identity.js';
import { BaseClient } from '../../src-server/base/test-client.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    identity: { type: 'string' },
    peer: { type: 'string', multiple: true },
    'data-interval-ms': { type: 'string', default: '300' },
    'nat-interval-ms': { type: 'string', default: '1000' },
    'info-interval-ms': { type: 'string', default: '25000' },
  },
});

function fatal(message: string): never {
  console.error(message);
  process.exit(2);
}

const base = parseEndpoint(values.base ?? '');
if (!base.ok) fatal(`--base: ${base.error.message}`);
await initCrypto();
const identity = parseIdentityFile(
  readFileSync(values.identity ?? fatal('--identity FILE is required'), 'utf8'),
);
if (!identity.ok) fatal(identity.error.message);
const peers = (values.peer ?? []).map(
  (text) => parseOverlayAddress(text) ?? fatal(`--peer ${text} is not an fc94 address`),
);

const print = (event: Record<string, unknown>) => console.log(JSON.stringify(event));
const me = formatAddress(identity.value.address);

const client = await BaseClient.connect({ identity: identity.value, base: base.value, keep: 0 });

/** What stock clients announce: every local IPv4 with the UDP port, loopback included. */
function localEndpoints(port: number): Endpoint[] {
  const out: Endpoint[] = [];
  for (const addresses of Object.values(networkInterfaces()))
    for (const address of addresses ?? []) {
      const endpoint = address.family === 'IPv4' ? makeEndpoint(address.address, port) : undefined;
      if (endpoint?.ok) out.push(endpoint.value);
    }
  return out;
}

let natOk = false;
client.listen(({ via, message, from }) => {
  switch (message.kind) {
    case 'state':
      return print({ event: 'state', endpoints: message.endpoints.map(formatEndpoint) });
    case 'natOk':
      if (!natOk) print({ event: 'natOk', from: from && formatEndpoint(from) });
      natOk = true;
      return;
    case 'deviceAddresses':
      return print({
        event: 'addresses',
        id: formatAddress(message.id),
        endpoints: message.endpoints.map(formatEndpoint),
      });
    case 'data':
      return print({
        event: 'data',
        from: formatAddress(message.source),
        via,
        text: Buffer.from(message.packet).toString('utf8'),
      });
  }
});

client.userAgent('hnet-test-agent');
const register = () => client.info(localEndpoints(client.udpPort));
register();
setInterval(register, Number(values['info-interval-ms']));
await client.waitFor((r) => r.message.kind === 'state');
print({ event: 'ready', address: me });

// Stock clients retry NAT_INIT every 3 s until NAT_OK, then keep it fresh.
client.natInit();
setInterval(() => client.natInit(), Number(values['nat-interval-ms']));
for (const peer of peers) client.requestInfo(peer);

let sequence = 0;
setInterval(() => {
  for (const peer of peers) {
    const text = `from ${me} #${sequence++}`;
    client.data(peer, new TextEncoder().encode(text), natOk ? 'udp' : 'tcp');
  }
}, Number(values['data-interval-ms']));

process.on('SIGTERM', () => {
  client.close();
  process.exit(0);
});
