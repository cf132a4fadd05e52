// Test helper run as another user (setpriv) by control-api.test.ts: makes one control call and
// prints the outcome as JSON. Usage: control-call.test-script.ts <socket> <call> [params JSON]
import { ControlClient } from './control-client.js';
import type { CallName, ParamsOf } from '../../contract/control-calls.js';

const [socketPath = '', call = 'status', params = '{}'] = process.argv.slice(2);
const connected = await ControlClient.connect(socketPath);
if (!connected.ok) {
  console.log(JSON.stringify(connected));
} else {
  const outcome = await connected.value.call(call as CallName, JSON.parse(params) as ParamsOf<CallName>);
  console.log(JSON.stringify(outcome));
  connected.value.close();
}
