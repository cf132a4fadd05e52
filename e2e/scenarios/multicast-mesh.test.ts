// Four machines in one hnet network: two on the same home LAN, two more each behind a NAT of
// their own, and a base server. An application multicasting to ff15:f2d3:a389::1 on hnet0 (as
// Husarnet's own service discovery does) reaches every other machine, whichever path each pair
// uses, and the datagram arrives from the sender's overlay address.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type HnetNode, internetWithHomes, introduce, shortForm, startNode } from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

const GROUP = 'ff15:f2d3:a389::1';
const PORT = 5599;

const listener = `
const socket = require('node:dgram').createSocket({ type: 'udp6', reuseAddr: true });
socket.bind(${PORT}, () => {
  socket.addMembership('${GROUP}', '::%hnet0');
  console.log('listening');
});
socket.on('message', (message, from) => console.log(message.toString() + ' from ' + from.address));
`;
// A few times over, as discovery protocols do: the first datagram to a peer may be what wakes
// its session, and multicast is never retransmitted.
const sender = `
const socket = require('node:dgram').createSocket('udp6');
socket.bind(() => {
  socket.setMulticastInterface('::%hnet0');
  // Not the kernel's local copy: a datagram heard by its own sender must have come back over hnet.
  socket.setMulticastLoopback(false);
  let n = 0;
  const timer = setInterval(() => {
    socket.send(process.argv[1], ${PORT}, '${GROUP}');
    if (++n === 10) { clearInterval(timer); socket.close(); }
  }, 200);
});
`;

describe('four nodes in a mesh', () => {
  const world = scenarioLab();
  let nodes: HnetNode[];

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['cone', 'cone', 'symmetric']);
    const options = { baseServers: [base.server] };
    nodes = await Promise.all([
      startNode(await lab.host('alpha', { on: homes[0]!.lan }), scratch, options),
      startNode(await lab.host('bravo', { on: homes[0]!.lan }), scratch, options),
      startNode(await lab.host('charlie', { on: homes[1]!.lan }), scratch, options),
      startNode(await lab.host('delta', { on: homes[2]!.lan }), scratch, options),
    ]);
    await introduce(nodes);
    for (const node of nodes) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('a multicast datagram from each node reaches every other node', async () => {
    const listeners = nodes.map((node) => node.host.spawn(['node', '-e', listener]));
    await Promise.all(listeners.map((process) => process.waitForOutput(/listening/)));
    await Promise.all(nodes.map((node) => node.host.exec(['node', '-e', sender, node.hostname])));
    await new Promise((resolve) => setTimeout(resolve, 500));
    nodes.forEach((node, i) => {
      const heard = listeners[i]?.stdout ?? '';
      for (const other of nodes) {
        if (other === node) continue;
        assert.ok(
          heard.includes(`${other.hostname} from ${shortForm(other.address)}`),
          `${node.hostname} did not hear ${other.hostname}:\n${heard}`,
        );
      }
      assert.ok(!heard.includes(`${node.hostname} from`), `${node.hostname} heard itself`);
    });
    await Promise.all(listeners.map((process) => process.stop()));
  });
});
