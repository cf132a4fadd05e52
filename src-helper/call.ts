// Asks the running helper for its status: `node call.js [--socket /run/hnet-helper/helper.sock]`
// (Windows: the control pipe, \\.\pipe\hnet-helper by default).
// For admins checking an install, and for tests calling the helper as another user. Prints the
// reply as JSON; exits 1 with the helper's sentence when the call fails.
import { parseArgs } from 'node:util';
import { HelperClient } from './api/helper-client.js';

const { values } = parseArgs({ options: { socket: { type: 'string' } } });
const reply = await new HelperClient(values.socket).call({ op: 'status' });
if (reply.ok) {
  console.log(JSON.stringify(reply.result));
} else {
  console.error(`${reply.error.kind}: ${reply.error.message}`);
  process.exitCode = 1;
}
