// A UDP echo on the engine's own socket (the addon's UdpSocket): what one engine hop costs a lone
// datagram before any of the engine's work. Prints "listening" once bound.
import { loadNative } from '../../src-helper/native.js';
import { formatIp } from '../../src-protocol/endpoint.js';

const port = Number(process.argv[2]);
const sockaddrs = new Map<string, Uint8Array>();
const socket = new (loadNative().UdpSocket)(
  port,
  true,
  (data, count) => {
    let start = 0;
    for (let i = 0; i < count; i++) {
      const end = socket.ends[i]!;
      const source = socket.sources.subarray(i * 24, i * 24 + 18);
      const key = source.join(',');
      let to = sockaddrs.get(key);
      if (!to) {
        const ip = formatIp(source.subarray(0, 16));
        to = socket.sockaddr(ip, (source[16]! << 8) | source[17]!)!;
        sockaddrs.set(key, to);
      }
      socket.send(data.subarray(start, end), to);
      start = end;
    }
  },
  (error) => console.error(error),
);
console.log('listening');
