// Status values for the CLI's formatting tests, shaped exactly like the engine's.
import type { PeerStatus, Status } from '../contract/status.js';

export const NOW = Date.parse('2026-03-01T12:00:00Z');
export const secondsAgo = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

export function samplePeer(change: Partial<PeerStatus> = {}): PeerStatus {
  return {
    address: 'fc94:00a1:0000:0000:0000:0000:0000:0003',
    hostname: 'bravo',
    reach: 'online',
    lastHeard: secondsAgo(1),
    path: 'direct',
    endpoint: '203.0.113.7:5582',
    rttMs: 0.41,
    bytesSent: 2048,
    bytesReceived: 4096,
    lastHandshake: secondsAgo(30),
    reason: 'direct via 203.0.113.7:5582 (public)',
    ...change,
  };
}

export function sampleStatus(change: Partial<Status> = {}): Status {
  return {
    version: '0.1.0',
    address: 'fc94:0123:0000:0000:0000:0000:0000:0001',
    hostname: 'alpha',
    connection: 'up',
    base: { state: 'connected', transport: 'udp', server: '198.51.100.2:443', reason: '' },
    peers: [samplePeer()],
    whitelist: { enabled: true, addresses: ['fc94:00a1:0000:0000:0000:0000:0000:0003'] },
    hosts: [{ hostname: 'bravo', address: 'fc94:00a1:0000:0000:0000:0000:0000:0003' }],
    hostsFile: { state: 'synced', reason: '1 name' },
    networks: [],
    ...change,
  };
}
