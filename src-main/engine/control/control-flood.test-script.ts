// Test helper run as its own process by control-api.test.ts: one local user flooding the control
// socket. It opens <hold> connections and keeps them until its stdin closes, then opens and at once
// closes <churn> more, and last sends a status request on one more connection (the probe: the
// server accepts in order, so its answer means every earlier connection was dealt with). Prints
// one JSON line: how the held connections were answered, and the probe's first line.
// Usage: control-flood.test-script.ts <socket> <hold> <ask|silent> [churn]
import { createConnection, type Socket } from 'node:net';
import { firstLine } from './test-first-line.js';

const [socketPath = '', holdText = '0', mode = 'ask', churnText = '0'] = process.argv.slice(2);
const STATUS = '{"id":1,"call":"status"}\n';

const connected = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    socket.once('connect', resolve);
    socket.once('error', () => resolve());
  });

const held: Socket[] = [];
const firstLines: Promise<string>[] = [];
for (let i = 0; i < Number(holdText); i++) {
  const socket = createConnection(socketPath);
  held.push(socket);
  socket.on('error', () => undefined);
  if (mode === 'ask') {
    socket.write(STATUS);
    firstLines.push(firstLine(socket));
  } else {
    // Never reads: a refusal written to it stays unread.
    socket.pause();
  }
  await connected(socket);
}
for (let i = 0; i < Number(churnText); i++) {
  const socket = createConnection(socketPath);
  socket.on('error', () => undefined);
  await connected(socket);
  socket.destroy();
}
const probe = createConnection(socketPath);
probe.write(STATUS);
const probeLine = await firstLine(probe);
const lines = await Promise.all(firstLines);
const answered = lines.filter((line) => line.startsWith('{"id":1,"ok":true')).length;
const refused = lines.filter((line) => line.includes('too many control connections')).length;
console.log(JSON.stringify({ answered, refused, probe: probeLine }));

process.stdin.resume();
process.stdin.on('end', () => {
  for (const socket of held) socket.destroy();
  probe.destroy();
  process.exit(0);
});
