// A UDP echo on the engine's own socket (udp-native-socket.ts, as the engine opens it): what one
// engine hop costs a lone datagram before any of the engine's work. Prints "listening" once bound.
import { DropCounter } from '../../src-main/engine/drops.js';
import type { UdpTarget } from '../../src-main/engine/io/udp-socket.js';
import { nativeSocketOpener } from '../../src-main/engine/io/udp-native-socket.js';

const targets = new Map<string, UdpTarget>();
const transport = await nativeSocketOpener()(
  Number(process.argv[2]),
  true,
  (message, ip, port, key) => {
    let target = targets.get(key);
    if (!target) {
      target = transport.target({ ip, port });
      targets.set(key, target);
    }
    transport.send(message, target);
  },
  new DropCounter(),
);
console.log('listening');
