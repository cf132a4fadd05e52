// Status values for tests of what the shell and the UI show, shaped exactly like the engine's.
import type { NetworkStatus, PeerStatus, Status } from './status.js';

export function peer(address: string, change: Partial<PeerStatus> = {}): PeerStatus {
  return {
    address,
    hostname: null,
    reach: 'online',
    lastHeard: null,
    path: 'tunnelled',
    endpoint: null,
    rttMs: null,
    bytesSent: 0,
    bytesReceived: 0,
    lastHandshake: null,
    reason: 'waiting for a direct path',
    ...change,
  };
}

export function network(change: Partial<NetworkStatus> = {}): NetworkStatus {
  return {
    websetup: 'fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c',
    server: 'http://hnet.example.org/',
    dashboardUrl: 'http://hnet.example.org',
    hostname: 'laptop',
    state: 'joined',
    reach: 'online',
    lastContact: '2026-11-22T09:00:00.000Z',
    managed: { addresses: 3, hostnames: 1 },
    ...change,
  };
}

export function status(change: Partial<Status> = {}): Status {
  return {
    version: '0.1.0',
    address: 'fc94:2555:6ac2:585c:1473:d35d:e2fb:2c62',
    hostname: 'laptop',
    connection: 'up',
    base: { state: 'connected', transport: 'udp', server: '198.18.0.2:443', reason: 'base answers over UDP' },
    peers: [],
    whitelist: { enabled: true, addresses: [] },
    hosts: [],
    hostsFile: { state: 'synced', reason: '' },
    networks: [],
    ...change,
  };
}
