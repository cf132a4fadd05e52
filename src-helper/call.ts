// Asks the running helper for its status: `node call.js [--socket /run/hnet/helper.sock]`.
// For admins checking an install, and for tests calling the helper as another user. Prints the
// reply as JSON; exits 1 with the helper's sentence when the call fails.
import { parseArgs } from 'node:util';
import { HelperClient } from '../src-main/engine/helper-client.js';
import { DEFAULT_SOCKET_PATH } from './protocol.js';

const { values } = parseArgs({ options: { socket: { type: 'string', default: DEFAULT_SOCKET_PATH } } });
const reply = await new HelperClient(values.socket).call({ op: 'status' });
if (reply.ok) {
  console.log(JSON.stringify(reply.result));
} else {
  console.error(`${reply.error.kind}: ${reply.error.message}`);
  process.exitCode = 1;
}
