// The engine as its hosts see it: hnetd and the desktop app (directly or through ui-host), and the
// server stack's websetup node, which is an overlay node of its own. Outside src-main/engine
// nothing but tests imports a file behind this one or client.ts (what only talks to a running
// engine), so the wings may be rearranged without touching a host; scripts/import-boundaries.test.ts
// holds that.
export * from './client.js';
export { createDataPlane, type OpenTun, type TunDevice } from './data-plane.js';
export { Engine } from './engine.js';
export { startHostedEngine } from './hosted-engine.js';
export type { DatagramHandler, DatagramTransport, OpenDatagramTransport } from './io/datagram-socket.js';
export { createEnrolment } from './membership/enrolment.js';
// The batched UDP socket and its node:dgram stand-in, which the base server's relay uses too.
export { DropCounter } from './drops.js';
export { openDgramSocket } from './io/udp-dgram-socket.js';
export { nativeSocketOpener } from './io/udp-native-socket.js';
export type {
  DatagramHandler as UdpDatagramHandler,
  OpenUdpSocket,
  UdpTarget,
  UdpTransport,
} from './io/udp-socket.js';
