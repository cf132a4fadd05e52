// How websetup management datagrams travel (PROTOCOL.md §7). A device sends them from a plain UDP
// socket bound to its overlay address (`kernelUdp`); the server stack's websetup node has no
// overlay interface and moves them through its engine in user space (src-server/websetup/overlay-udp.ts).
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

export type DatagramHandler = (bytes: Uint8Array, fromIp: string, fromPort: number) => void;

export interface DatagramTransport {
  /** The port it listens on. */
  readonly port: number;
  send(bytes: Uint8Array, toIp: string, toPort: number): void;
  close(): Promise<void>;
}

export type OpenDatagramTransport = (onDatagram: DatagramHandler) => Promise<DatagramTransport>;

/** A UDP socket bound to `ip:port` (port 0 picks a free one). */
export function kernelUdp(ip: string, port: number): OpenDatagramTransport {
  return async (onDatagram) => {
    const socket = createSocket({ type: isIP(ip) === 6 ? 'udp6' : 'udp4', ipv6Only: isIP(ip) === 6 });
    socket.on('message', (message, remote) =>
      onDatagram(new Uint8Array(message), remote.address, remote.port),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, ip, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A send to an unreachable peer reports an error later; a lost datagram is retried anyway.
    socket.on('error', () => undefined);
    return {
      port: socket.address().port,
      send: (bytes, toIp, toPort) => socket.send(bytes, toPort, toIp),
      close: () => new Promise((resolve) => socket.close(() => resolve())),
    };
  };
}
