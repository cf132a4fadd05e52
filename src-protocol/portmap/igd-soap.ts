// The four SOAP actions of the IGD WANIPConnection / WANPPPConnection service hnet uses, as the
// bodies we POST and the answers we read back (UPnP IGD:1 and IGD:2, WANIPConnection §2.4).
import { fail, ok, type Result } from '../result.js';
import type { WanConnectionService } from './igd-description.js';
import { elementContents, elementText, escapeXmlText } from './xml-text.js';

/** Real answers are under 1 KiB. */
export const SOAP_RESPONSE_MAX = 16 * 1024;

/** UPnP error codes the client acts on: the port is another host's; leases must be permanent. */
export const UPNP_CONFLICT_IN_MAPPING = 718;
export const UPNP_ONLY_PERMANENT_LEASES = 725;

export interface SoapCall {
  action: string;
  /** The SOAPACTION header's value, quotes included. */
  soapAction: string;
  body: string;
  /** Output arguments the answer must carry. */
  outputs: readonly string[];
}

export interface UdpPortMapping {
  externalPort: number;
  internalPort: number;
  /** Our LAN address: routers only map to the host that asks (miniupnpd's secure mode). */
  internalClient: string;
  description: string;
  /** Seconds; 0 asks for a mapping that lasts until deleted. */
  leaseSeconds: number;
}

export type SoapReply =
  | { kind: 'done'; values: Readonly<Record<string, string>> }
  | { kind: 'refused'; code: number; description: string };

function call(
  service: WanConnectionService,
  action: string,
  args: readonly (readonly [string, string | number])[],
  outputs: readonly string[] = [],
): SoapCall {
  const inner = args.map(([name, value]) => `<${name}>${escapeXmlText(String(value))}</${name}>`).join('');
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${service}">${inner}</u:${action}>` +
    '</s:Body></s:Envelope>\r\n';
  return { action, soapAction: `"${service}#${action}"`, body, outputs };
}

// Argument order follows the service description: some routers read them by position.
function mappingArgs(m: UdpPortMapping): [string, string | number][] {
  return [
    ['NewRemoteHost', ''],
    ['NewExternalPort', m.externalPort],
    ['NewProtocol', 'UDP'],
    ['NewInternalPort', m.internalPort],
    ['NewInternalClient', m.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', m.description],
    ['NewLeaseDuration', m.leaseSeconds],
  ];
}

export function soapGetExternalIpAddress(service: WanConnectionService): SoapCall {
  return call(service, 'GetExternalIPAddress', [], ['NewExternalIPAddress']);
}

/** Maps exactly `externalPort`, or is refused with 718 when another host holds it. */
export function soapAddPortMapping(service: WanConnectionService, mapping: UdpPortMapping): SoapCall {
  return call(service, 'AddPortMapping', mappingArgs(mapping));
}

/** IGD:2 only: the router picks a free port near `externalPort` and answers NewReservedPort. */
export function soapAddAnyPortMapping(service: WanConnectionService, mapping: UdpPortMapping): SoapCall {
  return call(service, 'AddAnyPortMapping', mappingArgs(mapping), ['NewReservedPort']);
}

export function soapDeletePortMapping(service: WanConnectionService, externalPort: number): SoapCall {
  return call(service, 'DeletePortMapping', [
    ['NewRemoteHost', ''],
    ['NewExternalPort', externalPort],
    ['NewProtocol', 'UDP'],
  ]);
}

/** Reads the router's answer to `sent`: its output values, or the UPnP error it refused with. */
export function decodeSoapReply(sent: SoapCall, status: number, body: string): Result<SoapReply> {
  if (body.length > SOAP_RESPONSE_MAX)
    return fail('TooLong', `A SOAP answer over ${SOAP_RESPONSE_MAX / 1024} KiB is not one hnet reads.`);
  if (status === 200) {
    const [content] = elementContents(body, `${sent.action}Response`, 1);
    if (content === undefined)
      return fail('BadFormat', `The router's answer to ${sent.action} has no ${sent.action}Response.`);
    const values: Record<string, string> = {};
    for (const name of sent.outputs) {
      const value = elementText(content, name);
      if (value === undefined)
        return fail('BadFormat', `The router's answer to ${sent.action} lacks ${name}.`);
      values[name] = value;
    }
    return ok({ kind: 'done', values });
  }
  const [error] = elementContents(body, 'UPnPError', 1);
  const code = Number(error === undefined ? NaN : elementText(error, 'errorCode'));
  if (!Number.isInteger(code) || code < 0)
    return fail(
      'BadFormat',
      `The router answered ${sent.action} with HTTP ${status} and no UPnP error code.`,
    );
  const description = (elementText(error!, 'errorDescription') ?? '').slice(0, 200);
  return ok({ kind: 'refused', code, description });
}

/** A dotted-quad IPv4 address, or undefined (routers without a public address answer "" or 0.0.0.0). */
export function externalIpv4(text: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255) || octets.every((o) => o === 0)) return undefined;
  return octets.join('.');
}

export function portNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 0xffff ? port : undefined;
}
