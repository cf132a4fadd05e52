// How websetup management datagrams are handed around (PROTOCOL.md §7). Neither end uses a kernel
// socket: a device's engine keeps port 5580 inside its data plane (management-port.ts), and the
// server stack's websetup node, which has no overlay interface, keeps port 4800 in user space
// (src-server/websetup/overlay-udp.ts).
export type DatagramHandler = (bytes: Uint8Array, fromIp: string, fromPort: number) => void;

export interface DatagramTransport {
  /** The port it listens on. */
  readonly port: number;
  send(bytes: Uint8Array, toIp: string, toPort: number): void;
  close(): Promise<void>;
}

export type OpenDatagramTransport = (onDatagram: DatagramHandler) => Promise<DatagramTransport>;
