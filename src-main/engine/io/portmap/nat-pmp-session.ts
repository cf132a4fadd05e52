// NAT-PMP (RFC 6886) with one router for one UDP port. Unlike PCP, a mapping answer carries no
// address, so every (re)map also asks for the external address; both answers carry the epoch.
import {
  NAT_PMP_SUCCESS,
  decodeNatPmpResponse,
  encodeNatPmpAddressRequest,
  encodeNatPmpMapRequest,
  natPmpResultText,
  type NatPmpResponse,
} from '../../../../src-protocol/portmap/nat-pmp.js';
import { routerLostState, type EpochSample } from '../../../../src-protocol/portmap/router-epoch.js';
import {
  mapped,
  notMapped,
  type MapOutcome,
  type Mapping,
  type MappingSession,
  type MappingTarget,
} from './mapping.js';
import type { UdpProtocolOptions } from './pcp-session.js';
import { udpExchange } from './udp-exchange.js';

type AddressAnswer = Extract<NatPmpResponse, { opcode: 'address' }>;
type MapAnswer = Extract<NatPmpResponse, { opcode: 'map' }>;

// Result 3 is "network failure": the router has no external address (yet).
const NO_PUBLIC_ADDRESS = 3;

export function natPmpSession(target: MappingTarget, options: UdpProtocolOptions): MappingSession {
  const where = { ip: target.gateway, port: options.port, retryDelaysMs: options.retryDelaysMs };
  let held: Mapping | undefined;
  let lastEpoch: EpochSample | undefined;
  let restartSeen = false;

  function ask<T extends NatPmpResponse>(
    request: MapOutcome<Uint8Array>,
    accepts: (answer: NatPmpResponse) => answer is T,
    signal: AbortSignal,
  ): Promise<MapOutcome<T>> {
    return udpExchange(
      where,
      () => request,
      (bytes) => {
        const decoded = decodeNatPmpResponse(bytes);
        if (!decoded.ok)
          return bytes[0] === 2 && bytes.length >= 2
            ? notMapped('NoAnswer', `${target.gateway} speaks PCP, not NAT-PMP`)
            : undefined;
        if (!accepts(decoded.value)) return undefined;
        const sample = { epoch: decoded.value.epoch, atMs: performance.now() };
        if (lastEpoch !== undefined && routerLostState(lastEpoch, sample)) restartSeen = true;
        lastEpoch = sample;
        return mapped(decoded.value);
      },
      signal,
    );
  }

  const isAddress = (a: NatPmpResponse): a is AddressAnswer => a.opcode === 'address';
  // An error answer may be too short to name the port; it still answers us.
  const isOurMap = (a: NatPmpResponse): a is MapAnswer =>
    a.opcode === 'map' && (a.internalPort === target.internalPort || a.resultCode !== NAT_PMP_SUCCESS);

  function mapRequest(suggestedExternalPort: number, lifetime: number): MapOutcome<Uint8Array> {
    const encoded = encodeNatPmpMapRequest({
      internalPort: target.internalPort,
      suggestedExternalPort,
      lifetime,
    });
    return encoded.ok ? mapped(encoded.value) : notMapped('BadAnswer', encoded.error.message);
  }

  return {
    protocol: 'nat-pmp',
    async map(signal) {
      const address = await ask(mapped(encodeNatPmpAddressRequest()), isAddress, signal);
      if (!address.ok) return address;
      const { resultCode, externalIp } = address.value;
      if (resultCode === NO_PUBLIC_ADDRESS || (resultCode === NAT_PMP_SUCCESS && externalIp === '0.0.0.0'))
        return notMapped('NoPublicAddress', `${target.gateway} has no external address (NAT-PMP)`);
      if (resultCode !== NAT_PMP_SUCCESS)
        return notMapped('Refused', `${target.gateway} refused NAT-PMP: ${natPmpResultText(resultCode)}`);

      const suggested = held?.external.port ?? target.internalPort;
      const answer = await ask(mapRequest(suggested, target.lifetimeSeconds), isOurMap, signal);
      if (!answer.ok) return answer;
      const granted = answer.value;
      if (granted.resultCode !== NAT_PMP_SUCCESS) {
        held = undefined;
        return notMapped(
          'Refused',
          `${target.gateway} refused the NAT-PMP mapping: ${natPmpResultText(granted.resultCode)}`,
        );
      }
      if (granted.externalPort === 0 || granted.lifetime === 0)
        return notMapped(
          'BadAnswer',
          `${target.gateway} granted a NAT-PMP mapping without a port or lifetime`,
        );
      held = {
        protocol: 'nat-pmp',
        gateway: target.gateway,
        internalPort: target.internalPort,
        external: { ip: externalIp, port: granted.externalPort },
        lifetimeSeconds: granted.lifetime,
        routerRestarted: restartSeen,
      };
      restartSeen = false;
      return mapped(held);
    },
    async unmap(signal) {
      if (!held) return;
      // RFC 6886 §3.4: a delete names the internal port, with external port and lifetime 0.
      await ask(mapRequest(0, 0), isOurMap, signal);
      held = undefined;
    },
  };
}
