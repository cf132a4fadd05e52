// Counters of what the base server did, and their Prometheus text and JSON forms. Gauges (who is
// connected now) are read from live state when rendered, so they cannot drift from it.

/** Why a packet or message was not acted on. */
export type DropReason =
  | 'malformed'
  | 'unknown_kind'
  | 'wrong_transport'
  | 'bad_signature'
  | 'bad_cookie'
  | 'forged_sender'
  | 'unauthenticated'
  | 'unbound_udp_source'
  | 'target_offline'
  | 'replayed'
  | 'rate_limited'
  | 'backpressure'
  | 'oversized'
  | 'udp_send_failed'
  /** The kernel's send queue of the UDP socket was full: dropped, as a NIC would. */
  | 'udp_send_queue_full'
  /** A cluster packet from an address that is no base of the cluster, or naming no such base. */
  | 'cluster_stranger'
  | 'cluster_bad_tag'
  /** For a device of another base that neither UDP nor the TCP link reaches now. */
  | 'cluster_unreachable';

/** Why the server closed a connection (peer-initiated closes are `peer_closed`). */
export type CloseReason =
  | 'peer_closed'
  | 'malformed_frame'
  | 'auth_timeout'
  | 'idle_timeout'
  | 'connection_limit'
  | 'source_limit'
  | 'evicted'
  | 'not_reading'
  | 'replaced'
  /** The device connected to another base of the cluster since. */
  | 'moved'
  | 'socket_error'
  | 'shutdown';

/** To our own client over UDP or TCP, or to the base that holds the target. */
export type RelayPath = 'udp' | 'tcp' | 'cluster_udp' | 'cluster_tcp';

export interface Counters {
  relayedPackets: Record<RelayPath, number>;
  relayedBytes: Record<RelayPath, number>;
  dropped: Partial<Record<DropReason, number>>;
  closed: Partial<Record<CloseReason, number>>;
  /** DEVICE_ADDRESSES sent because a device's endpoints changed after someone asked about it. */
  addressPushes: number;
  statesSent: number;
}

export class BaseMetrics {
  readonly counters: Counters = {
    relayedPackets: { udp: 0, tcp: 0, cluster_udp: 0, cluster_tcp: 0 },
    relayedBytes: { udp: 0, tcp: 0, cluster_udp: 0, cluster_tcp: 0 },
    dropped: {},
    closed: {},
    addressPushes: 0,
    statesSent: 0,
  };

  relayed(path: RelayPath, bytes: number): void {
    this.counters.relayedPackets[path]++;
    this.counters.relayedBytes[path] += bytes;
  }

  drop(reason: DropReason): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  closed(reason: CloseReason): void {
    this.counters.closed[reason] = (this.counters.closed[reason] ?? 0) + 1;
  }
}

/** Live numbers read at render time. */
export interface Gauges {
  tcpConnections: number;
  clients: number;
  /** Clients whose NAT mapping is fresh enough to relay to them over UDP. */
  clientsOnUdp: number;
  uptimeSeconds: number;
  residentBytes: number;
}

/** A family with one sample per value of a label, e.g. drops by reason. */
interface ByLabel {
  label: string;
  values: Record<string, number | undefined>;
}

function family(name: string, type: 'gauge' | 'counter', help: string, value: number | ByLabel): string {
  const samples =
    typeof value === 'number'
      ? `${name} ${value}\n`
      : Object.entries(value.values)
          .map(([key, count]) => `${name}{${value.label}="${key}"} ${count ?? 0}\n`)
          .join('');
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples}`;
}

/** The Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(counters: Counters, gauges: Gauges): string {
  const byPath = (values: Record<string, number | undefined>): ByLabel => ({ label: 'path', values });
  const byReason = (values: Record<string, number | undefined>): ByLabel => ({ label: 'reason', values });
  return [
    family('hnet_base_tcp_connections', 'gauge', 'Open TCP connections.', gauges.tcpConnections),
    family('hnet_base_clients', 'gauge', 'Authenticated devices connected.', gauges.clients),
    family(
      'hnet_base_clients_udp',
      'gauge',
      'Devices whose NAT mapping is fresh, so relayed data reaches them over UDP.',
      gauges.clientsOnUdp,
    ),
    family(
      'hnet_base_relayed_packets_total',
      'counter',
      'DATA packets relayed, by the path to the target.',
      byPath(counters.relayedPackets),
    ),
    family(
      'hnet_base_relayed_bytes_total',
      'counter',
      'Bytes of relayed DATA sent, by the path to the target.',
      byPath(counters.relayedBytes),
    ),
    family(
      'hnet_base_dropped_total',
      'counter',
      'Messages and packets not acted on, by reason.',
      byReason(counters.dropped),
    ),
    family(
      'hnet_base_connections_closed_total',
      'counter',
      'TCP connections ended, by reason.',
      byReason(counters.closed),
    ),
    family(
      'hnet_base_address_pushes_total',
      'counter',
      'DEVICE_ADDRESSES pushed because a device changed endpoints after being asked about.',
      counters.addressPushes,
    ),
    family('hnet_base_states_sent_total', 'counter', 'STATE answers sent.', counters.statesSent),
    family('hnet_base_uptime_seconds', 'gauge', 'Seconds since the server started.', gauges.uptimeSeconds),
    family(
      'process_resident_memory_bytes',
      'gauge',
      'Resident memory of the server process.',
      gauges.residentBytes,
    ),
  ].join('');
}
