// PCP (RFC 6887) with one router for one UDP port: a MAP request creates the mapping, the same
// request with the same nonce renews it, lifetime 0 deletes it. Every answer carries the router's
// epoch, which tells us when it restarted and forgot the mapping.
import {
  PCP_SUCCESS,
  answersPcpMapRequest,
  decodePcpResponse,
  encodePcpMapRequest,
  pcpResultText,
  type PcpMapRequest,
  type PcpResponse,
} from '../../../../src-protocol/portmap/pcp.js';
import { routerLostState, type EpochSample } from '../../../../src-protocol/portmap/router-epoch.js';
import {
  mapped,
  notMapped,
  type MapOutcome,
  type Mapping,
  type MappingSession,
  type MappingTarget,
} from './mapping.js';
import { udpExchange } from './udp-exchange.js';

export interface UdpProtocolOptions {
  /** 5351, but tests run fake routers elsewhere. */
  port: number;
  retryDelaysMs: readonly number[];
}

const isUnspecified = (ip: string) => ip === '0.0.0.0' || ip === '::';

export function pcpSession(target: MappingTarget, options: UdpProtocolOptions): MappingSession {
  const nonce = target.nonce;
  const where = { ip: target.gateway, port: options.port, retryDelaysMs: options.retryDelaysMs };
  let held: Mapping | undefined;
  let lastEpoch: EpochSample | undefined;

  function ask(lifetime: number, signal: AbortSignal): Promise<MapOutcome<PcpResponse>> {
    let sent: PcpMapRequest | undefined;
    return udpExchange(
      where,
      (clientIp) => {
        sent = {
          clientIp,
          lifetime,
          nonce,
          internalPort: target.internalPort,
          suggestedExternalPort: held?.external.port ?? target.internalPort,
          suggestedExternalIp: held?.external.ip,
        };
        const encoded = encodePcpMapRequest(sent);
        return encoded.ok ? mapped(encoded.value) : notMapped('BadAnswer', encoded.error.message);
      },
      (bytes) => {
        const decoded = decodePcpResponse(bytes);
        if (!decoded.ok)
          // A NAT-PMP-only router answers PCP with its own version 0: no point waiting longer.
          return bytes[0] === 0 && bytes.length >= 2
            ? notMapped('NoAnswer', `${target.gateway} speaks NAT-PMP, not PCP`)
            : undefined;
        return sent && answersPcpMapRequest(decoded.value, sent) ? mapped(decoded.value) : undefined;
      },
      signal,
    );
  }

  return {
    protocol: 'pcp',
    async map(signal) {
      const answer = await ask(target.lifetimeSeconds, signal);
      if (!answer.ok) return answer;
      const response = answer.value;
      const sample = { epoch: response.epoch, atMs: performance.now() };
      const routerRestarted = lastEpoch !== undefined && routerLostState(lastEpoch, sample);
      lastEpoch = sample;
      const map = response.map;
      if (response.resultCode !== PCP_SUCCESS || !map) {
        held = undefined;
        return notMapped(
          'Refused',
          `${target.gateway} refused the PCP mapping: ${pcpResultText(response.resultCode)}`,
        );
      }
      if (map.externalPort === 0 || isUnspecified(map.externalIp))
        return notMapped('NoPublicAddress', `${target.gateway} answered PCP without an external address`);
      if (response.lifetime === 0)
        return notMapped('BadAnswer', `${target.gateway} granted a PCP mapping that has already expired`);
      held = {
        protocol: 'pcp',
        gateway: target.gateway,
        internalPort: target.internalPort,
        external: { ip: map.externalIp, port: map.externalPort },
        lifetimeSeconds: response.lifetime,
        routerRestarted,
      };
      return mapped(held);
    },
    async unmap(signal) {
      if (!held) return;
      await ask(0, signal);
      held = undefined;
    },
  };
}
