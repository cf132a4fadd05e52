// Base servers on loopback and protocol-level clients for the base's own tests; whatever a test
// starts is closed by closeAll(), which each test file runs in after().
import { BaseClient } from './test-client.js';
import type { Identity } from '../../src-protocol/identity.js';
import { BaseServer } from './base-server.js';
import type { BaseServerConfig } from './config.js';
import { defaultLimits, type BaseLimits } from './limits.js';
import type { UdpSockets } from './udp-listener.js';

export const loopback = { ip: '127.0.0.1', port: 0 };

export function loopbackBases() {
  const servers: BaseServer[] = [];
  const clients: BaseClient[] = [];
  return {
    /** `udpSockets`: the kind of UDP socket, by default the one this host runs (see udp-listener.ts). */
    async startServer(
      limits: Partial<BaseLimits> = {},
      extra: Partial<BaseServerConfig> = {},
      udpSockets?: UdpSockets,
      log?: (line: string) => void,
    ): Promise<BaseServer> {
      const server = await BaseServer.start(
        {
          tcp: [loopback],
          udp: [loopback],
          advertiseIp: undefined,
          metrics: loopback,
          limits: { ...defaultLimits, ...limits },
          ...extra,
        },
        log,
        udpSockets,
      );
      servers.push(server);
      return server;
    },

    /** A client from `localIp`: any 127.0.0.0/8 address is a source of its own on Linux. */
    async client(server: BaseServer, identity: Identity, localIp = '127.0.0.1'): Promise<BaseClient> {
      const c = await BaseClient.connect({ identity, base: server.tcpAddresses[0]!, localIp });
      clients.push(c);
      return c;
    },

    async closeAll(): Promise<void> {
      for (const c of clients) c.close();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; the deadline only keeps a broken test from hanging. */
export async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}
