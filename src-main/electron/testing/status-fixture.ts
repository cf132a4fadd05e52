// Status values for tests of what the shell and the UI show, shaped exactly like the engine's.
import type { PeerStatus, Status } from '../../engine/status.js';

export function peer(address: string, change: Partial<PeerStatus> = {}): PeerStatus {
  return {
    address,
    hostname: null,
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

export function status(change: Partial<Status> = {}): Status {
  return {
    version: '0.1.0',
    address: 'fc94:2555:6ac2:585c:1473:d35d:e2fb:2c62',
    hostname: 'laptop',
    base: { state: 'connected', transport: 'udp', server: '198.18.0.2:443', reason: 'base answers over UDP' },
    peers: [],
    whitelist: { enabled: true, addresses: [] },
    hosts: [],
    hostsFile: { state: 'synced', reason: '' },
    networks: [],
    ...change,
  };
}
