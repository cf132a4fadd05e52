// UPnP IGD with one router for one UDP port: SSDP finds the description, the description names the
// control URL, and SOAP calls on it learn the external address and add, renew and delete the
// mapping. Renewing is adding the same mapping again; a router that restarted simply gets it back,
// and one whose control URL stopped answering makes the caller start over with discovery.
import { randomInt } from 'node:crypto';
import {
  IGD_DESCRIPTION_MAX,
  findWanConnections,
  type WanConnection,
} from '../../../../src-protocol/portmap/igd-description.js';
import {
  SOAP_RESPONSE_MAX,
  UPNP_CONFLICT_IN_MAPPING,
  UPNP_ONLY_PERMANENT_LEASES,
  decodeSoapReply,
  externalIpv4,
  portNumber,
  soapAddAnyPortMapping,
  soapAddPortMapping,
  soapDeletePortMapping,
  soapGetExternalIpAddress,
  type SoapCall,
  type SoapReply,
  type UdpPortMapping,
} from '../../../../src-protocol/portmap/igd-soap.js';
import type { Result } from '../../../../src-protocol/result.js';
import { gatewayHttp } from './gateway-http.js';
import {
  mapped,
  notMapped,
  type MapOutcome,
  type Mapping,
  type MappingSession,
  type MappingTarget,
  type PortMapFailure,
} from './mapping.js';
import { ssdpSearch, type SsdpOptions } from './ssdp-search.js';

export interface UpnpOptions {
  ssdp: SsdpOptions;
  /** Each HTTP exchange with the router, connect to last byte. */
  httpTimeoutMs: number;
  /** Shown in the router's table of mappings. */
  description: string;
}

// Random ports tried when the one we want is taken by another host (IGD:1 has no AddAny).
const RANDOM_PORT_TRIES = 3;

interface AddFailure extends PortMapFailure {
  upnpCode?: number;
}
type AddOutcome = Result<number, AddFailure>;

interface Controlled {
  connection: WanConnection;
  externalIp: string;
  /** Our LAN address as the router saw it. */
  localAddress: string;
}

export function upnpSession(target: MappingTarget, options: UpnpOptions): MappingSession {
  const gateway = target.gateway;
  let control: Controlled | undefined;
  let held: Mapping | undefined;
  let leaseSeconds = target.lifetimeSeconds;

  async function soap(
    connection: WanConnection,
    call: SoapCall,
    signal: AbortSignal,
  ): Promise<MapOutcome<{ reply: SoapReply; localAddress: string }>> {
    const answer = await gatewayHttp(
      connection.controlUrl,
      gateway,
      {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: call.soapAction },
        body: call.body,
        maxBytes: SOAP_RESPONSE_MAX,
        timeoutMs: options.httpTimeoutMs,
      },
      signal,
    );
    if (!answer.ok) return answer;
    const reply = decodeSoapReply(call, answer.value.status, answer.value.body);
    if (!reply.ok) return notMapped('BadAnswer', `${gateway}: ${reply.error.message}`);
    return mapped({ reply: reply.value, localAddress: answer.value.localAddress });
  }

  async function askExternalIp(
    connection: WanConnection,
    signal: AbortSignal,
  ): Promise<MapOutcome<{ externalIp: string; localAddress: string }>> {
    const asked = await soap(connection, soapGetExternalIpAddress(connection.serviceType), signal);
    if (!asked.ok) return asked;
    const { reply, localAddress } = asked.value;
    const externalIp =
      reply.kind === 'done' ? externalIpv4(reply.values['NewExternalIPAddress'] ?? '') : undefined;
    return externalIp
      ? mapped({ externalIp, localAddress })
      : notMapped('NoPublicAddress', `${gateway} has no external address (UPnP)`);
  }

  /** Discovery, then the first WAN connection that reports an external address. */
  async function findControl(signal: AbortSignal): Promise<MapOutcome<Controlled>> {
    const location = await ssdpSearch(gateway, options.ssdp, signal);
    if (!location.ok) return location;
    const description = await gatewayHttp(
      location.value,
      gateway,
      { method: 'GET', maxBytes: IGD_DESCRIPTION_MAX, timeoutMs: options.httpTimeoutMs },
      signal,
    );
    if (!description.ok) return description;
    const connections = findWanConnections(description.value.body, location.value, gateway);
    if (!connections.ok) return notMapped('BadAnswer', `${gateway}: ${connections.error.message}`);
    let last: MapOutcome<Controlled> = notMapped(
      'NoPublicAddress',
      `${gateway} has no external address (UPnP)`,
    );
    for (const connection of connections.value) {
      const address = await askExternalIp(connection, signal);
      if (address.ok) return mapped({ connection, ...address.value });
      last = address;
    }
    return last;
  }

  function mappingFor(c: Controlled, externalPort: number): UdpPortMapping {
    return {
      externalPort,
      internalPort: target.internalPort,
      internalClient: c.localAddress,
      description: options.description,
      leaseSeconds,
    };
  }

  /** Adds exactly `externalPort`; on a router that only keeps permanent mappings, asks again for one. */
  async function add(c: Controlled, externalPort: number, signal: AbortSignal): Promise<AddOutcome> {
    const sent = await soap(
      c.connection,
      soapAddPortMapping(c.connection.serviceType, mappingFor(c, externalPort)),
      signal,
    );
    if (!sent.ok) return sent;
    const reply = sent.value.reply;
    if (reply.kind === 'done') return mapped(externalPort);
    if (reply.code === UPNP_ONLY_PERMANENT_LEASES && leaseSeconds !== 0) {
      leaseSeconds = 0;
      return add(c, externalPort, signal);
    }
    const message = `${gateway} refused the UPnP mapping: ${reply.code} ${reply.description}`.trim();
    return { ok: false, error: { kind: 'Refused', message, upnpCode: reply.code } };
  }

  const isConflict = (outcome: AddOutcome) =>
    !outcome.ok && outcome.error.upnpCode === UPNP_CONFLICT_IN_MAPPING;

  /** A new mapping: the router's choice on IGD:2, our port or a random one on IGD:1. */
  async function addAny(c: Controlled, signal: AbortSignal): Promise<AddOutcome> {
    if (c.connection.serviceType.endsWith('WANIPConnection:2')) {
      const call = soapAddAnyPortMapping(c.connection.serviceType, mappingFor(c, target.internalPort));
      const sent = await soap(c.connection, call, signal);
      if (!sent.ok) return sent;
      const reply = sent.value.reply;
      if (reply.kind === 'done') {
        const port = portNumber(reply.values['NewReservedPort'] ?? '');
        return port ? mapped(port) : notMapped('BadAnswer', `${gateway} reserved no usable port`);
      }
      // Anything else: fall back to IGD:1's way, which every IGD:2 router also speaks.
    }
    let outcome = await add(c, target.internalPort, signal);
    for (let i = 0; i < RANDOM_PORT_TRIES && isConflict(outcome); i++)
      outcome = await add(c, randomInt(1024, 65536), signal);
    return outcome;
  }

  return {
    protocol: 'upnp',
    async map(signal) {
      if (control) {
        // Also how a renewal notices a control URL that stopped answering, or a new address.
        const address = await askExternalIp(control.connection, signal);
        if (!address.ok) return address;
        control = { ...control, ...address.value };
      } else {
        const found = await findControl(signal);
        if (!found.ok) return found;
        control = found.value;
      }
      const c = control;
      let port = held ? await add(c, held.external.port, signal) : await addAny(c, signal);
      if (held && isConflict(port)) port = await addAny(c, signal);
      if (!port.ok) {
        held = undefined;
        return port;
      }
      held = {
        protocol: 'upnp',
        gateway,
        internalPort: target.internalPort,
        external: { ip: c.externalIp, port: port.value },
        lifetimeSeconds: leaseSeconds === 0 ? null : leaseSeconds,
        routerRestarted: false,
      };
      return mapped(held);
    },
    async unmap(signal) {
      if (!held || !control) return;
      await soap(
        control.connection,
        soapDeletePortMapping(control.connection.serviceType, held.external.port),
        signal,
      );
      held = undefined;
    },
  };
}
