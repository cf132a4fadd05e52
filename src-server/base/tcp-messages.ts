// What the base does with each framed message on a client's TCP connection.
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  COOKIE_LENGTH,
  decodePeerToBase,
  MIN_PEER_TO_BASE_DATA_LENGTH,
  PEER_TO_BASE_DATA_CODE,
  PEER_TO_BASE_DATA_SOURCE_AT,
} from '../../src-protocol/base-messages.js';
import { makeEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import { dropReasonFor, type Authenticator } from './authentication.js';
import type { ClientRegistry } from './client-registry.js';
import { ClientConnection, idKey } from './connection.js';
import type { DeviceAddresses } from './device-addresses.js';
import { CLUSTER_CODE } from './cluster/cluster-wire.js';
import type { BaseLimits } from './limits.js';
import type { BaseMetrics } from './metrics.js';
import type { Relay } from './relay.js';
import type { TcpConnectionHandler } from './tcp-listener.js';

/** A user agent is only shown on the status page; a long one is cut here. */
const MAX_USER_AGENT_LENGTH = 200;

/** 16 random lowercase letters, as stock bases send (the modulo bias is immaterial at 75 bits). */
export function newCookie(): Uint8Array {
  const cookie = randomFillSync(new Uint8Array(COOKIE_LENGTH));
  for (let i = 0; i < COOKIE_LENGTH; i++) cookie[i] = 0x61 + (cookie[i]! % 26);
  return cookie;
}

/** The IP text of a connection's local address as STATE lists it (`::ffff:a.b.c.d` becomes `a.b.c.d`). */
function canonicalIp(text: string): string {
  const endpoint = makeEndpoint(text, 0);
  return endpoint.ok ? endpoint.value.ip : text;
}

export interface TcpMessageDeps {
  registry: ClientRegistry;
  authenticator: Authenticator;
  addresses: DeviceAddresses;
  relay: Relay;
  metrics: BaseMetrics;
  limits: BaseLimits;
  /** The base UDP endpoints STATE lists for this connection. */
  stateEndpoints(connection: ClientConnection): Endpoint[];
}

export class TcpMessages implements TcpConnectionHandler {
  constructor(private readonly deps: TcpMessageDeps) {}

  /** Caps are the listener's: this sees only connections it admitted. */
  open(socket: Socket): ClientConnection {
    const { registry, limits } = this.deps;
    const cookie = newCookie();
    const connection = new ClientConnection(
      socket,
      cookie,
      canonicalIp(socket.localAddress ?? ''),
      `${socket.remoteAddress}:${socket.remotePort}`,
      Date.now(),
      limits,
    );
    registry.add(connection);
    connection.send({ kind: 'hello', cookie });
    return connection;
  }

  close(connection: ClientConnection): void {
    this.deps.metrics.closed(connection.closeReason ?? 'peer_closed');
    const offline = this.deps.registry.remove(connection);
    if (offline) this.deps.addresses.offline(offline);
  }

  message(connection: ClientConnection, payload: Uint8Array, now: number): void {
    const { metrics, relay, authenticator, addresses } = this.deps;
    connection.lastHeardAt = now;
    // Another base's link carries many clients' DATA: once proven, no one client's budget applies.
    if (payload[0] === CLUSTER_CODE && addresses.cluster) {
      if (connection.clusterBase === undefined && !connection.messageBudget.take(now))
        return metrics.drop('rate_limited');
      return addresses.cluster.tcpFrame(connection, payload, now);
    }
    if (!connection.messageBudget.take(now)) return metrics.drop('rate_limited');

    // DATA is the bulk of the traffic: checked by offsets, without decoding into objects.
    if (payload[0] === PEER_TO_BASE_DATA_CODE) {
      if (payload.length < MIN_PEER_TO_BASE_DATA_LENGTH) return metrics.drop('malformed');
      const device = connection.device;
      if (!device) return metrics.drop('unauthenticated');
      if (idKey(payload, PEER_TO_BASE_DATA_SOURCE_AT) !== device.key) return metrics.drop('forged_sender');
      return relay.forward(payload, now);
    }

    if (!connection.controlBudget.take(now)) return metrics.drop('rate_limited');
    const decoded = decodePeerToBase(payload);
    if (!decoded.ok) return metrics.drop(dropReasonFor(decoded.error.kind));
    const message = decoded.value;
    switch (message.kind) {
      case 'userAgent':
        connection.userAgent = message.userAgent.slice(0, MAX_USER_AGENT_LENGTH);
        return;
      case 'info': {
        const device = authenticator.deviceFor(connection, message.signer);
        if (!device) return;
        // STATE first: a client that hears nothing for 35 s reconnects.
        connection.send({ kind: 'state', endpoints: this.deps.stateEndpoints(connection) });
        metrics.counters.statesSent++;
        return addresses.announced(device, message.endpoints);
      }
      case 'requestInfo': {
        const device = authenticator.deviceFor(connection, message.signer);
        if (device) addresses.requested(device, message.target);
        return;
      }
      case 'natInit':
      case 'natOkConfirm':
      case 'natInitTransient':
        return metrics.drop('wrong_transport');
    }
  }
}
