// What the base does with each UDP packet: NAT_INIT (learn the client's NAT-observed endpoint and
// answer NAT_OK), NAT_OK_CONFIRM, DATA from a bound source, and hnet's netcheck probe. A datagram's
// source comes as the socket's canonical `ip`, `port` and `key` (their endpointKey): DATA, the hot
// path, is checked against its sender's binding by comparing keys, with no address text made per packet.
import {
  decodePeerToBase,
  encodeBaseToPeer,
  MIN_PEER_TO_BASE_DATA_LENGTH,
  peekSignedCookie,
  PEER_TO_BASE_DATA_CODE,
  PEER_TO_BASE_DATA_SOURCE_AT,
} from '../../src-protocol/base-messages.js';
import { makeEndpoint } from '../../src-protocol/endpoint.js';
import { dropReasonFor, type Authenticator } from './authentication.js';
import type { ClientRegistry } from './client-registry.js';
import { idKey } from './connection.js';
import type { DeviceAddresses } from './device-addresses.js';
import { CLUSTER_CODE } from './cluster/cluster-wire.js';
import type { BaseMetrics } from './metrics.js';
import type { NetcheckReflector } from './netcheck-reflector.js';
import type { Relay } from './relay.js';
import type { UdpListener } from './udp-listener.js';

function encodedNatOk(): Uint8Array {
  const encoded = encodeBaseToPeer({ kind: 'natOk' });
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.value;
}

export interface UdpMessageDeps {
  registry: ClientRegistry;
  authenticator: Authenticator;
  addresses: DeviceAddresses;
  relay: Relay;
  metrics: BaseMetrics;
  udp: UdpListener;
  netcheck: NetcheckReflector;
}

export class UdpMessages {
  private readonly natOk = encodedNatOk();

  constructor(private readonly deps: UdpMessageDeps) {}

  packet(socketIndex: number, packet: Buffer, ip: string, port: number, key: string): void {
    const now = Date.now();
    if (packet[0] === PEER_TO_BASE_DATA_CODE) this.data(packet, key, now);
    else if (packet[0] === CLUSTER_CODE) this.cluster(packet, key, now);
    else if (
      !this.deps.netcheck.take(packet, ip, port, (answer) =>
        this.deps.udp.sendFrom(socketIndex, answer, { ip, port }),
      )
    )
      this.signed(socketIndex, packet, ip, port, key, now);
  }

  private cluster(packet: Buffer, key: string, now: number): void {
    const cluster = this.deps.addresses.cluster;
    if (cluster) cluster.udpPacket(packet, key, now);
    else this.deps.metrics.drop('cluster_stranger');
  }

  private data(packet: Buffer, key: string, now: number): void {
    const { registry, metrics, relay } = this.deps;
    if (packet.length < MIN_PEER_TO_BASE_DATA_LENGTH) return metrics.drop('malformed');
    const sender = registry.device(idKey(packet, PEER_TO_BASE_DATA_SOURCE_AT));
    if (sender?.udp?.key !== key) return metrics.drop('unbound_udp_source');
    if (!sender.connection.messageBudget.take(now)) return metrics.drop('rate_limited');
    relay.forward(packet, now);
  }

  private signed(
    socketIndex: number,
    packet: Buffer,
    ip: string,
    port: number,
    key: string,
    now: number,
  ): void {
    const { registry, metrics } = this.deps;
    // Signed UDP messages name their TCP connection by its cookie: without a live one, no
    // signature check is spent on them.
    const cookie = peekSignedCookie(packet);
    const connection = cookie && registry.connectionByCookie(cookie);
    if (!connection) return metrics.drop(cookie ? 'bad_cookie' : 'malformed');
    if (!connection.udpControlBudget.take(now)) return metrics.drop('rate_limited');
    const decoded = decodePeerToBase(packet);
    if (!decoded.ok) return metrics.drop(dropReasonFor(decoded.error.kind));
    const message = decoded.value;
    if (message.kind !== 'natInit' && message.kind !== 'natOkConfirm') return metrics.drop('wrong_transport');
    const device = this.deps.authenticator.deviceFor(connection, message.signer);
    if (!device) return;
    connection.lastHeardAt = now;
    const bound = device.udp;
    const sameSource = bound?.key === key;
    if (message.kind === 'natOkConfirm') {
      if (sameSource) bound.refreshedAt = now;
      return;
    }
    // The same NAT_INIT goes to every STATE address, so an equal counter is fine from the same source.
    if (bound && (message.counter < bound.counter || (message.counter === bound.counter && !sameSource)))
      return metrics.drop('replayed');

    // NAT_OK must come from the first STATE address whichever address the NAT_INIT reached.
    const { udp } = this.deps;
    if (sameSource) udp.send(this.natOk, bound.target);
    else udp.sendFrom(0, this.natOk, { ip, port });
    // Only the first address's mapping is confirmed by NAT_OK, and that is where clients send DATA.
    if (socketIndex !== 0) return;
    if (sameSource) {
      bound.refreshedAt = now;
      bound.counter = message.counter;
      return;
    }
    const endpoint = makeEndpoint(ip, port);
    if (!endpoint.ok) return metrics.drop('malformed');
    device.udp = {
      key,
      endpoint: endpoint.value,
      target: udp.target(endpoint.value),
      refreshedAt: now,
      counter: message.counter,
    };
    this.deps.addresses.natObserved(device, endpoint.value);
  }
}
