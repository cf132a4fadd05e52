// The UPnP device description an Internet Gateway Device serves at its SSDP LOCATION: from it hnet
// needs only the control URL of the WAN connection service that maps ports. A URL that points
// anywhere but the gateway itself is refused: a LAN device must not steer our SOAP calls elsewhere.
import { fail, ok, type Result } from '../result.js';
import { elementContents, elementText } from './xml-text.js';

/** Descriptions of real routers run from 5 to 40 KiB. */
export const IGD_DESCRIPTION_MAX = 128 * 1024;

/** In order of preference: version 2 has AddAnyPortMapping; PPP links come last. */
export const WAN_CONNECTION_SERVICES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const;

export type WanConnectionService = (typeof WAN_CONNECTION_SERVICES)[number];

export interface WanConnection {
  serviceType: WanConnectionService;
  /** Absolute http URL on the gateway. */
  controlUrl: string;
}

/** Whether `url` is plain http on the gateway's own address. */
export function isGatewayUrl(url: string, gatewayIp: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && parsed.hostname === gatewayIp && parsed.username === '';
}

/**
 * Every WAN connection service in the description, most preferred first, with its control URL
 * resolved against URLBase (UPnP 1.0) or the description's own URL.
 */
export function findWanConnections(
  xml: string,
  location: string,
  gatewayIp: string,
): Result<WanConnection[]> {
  if (xml.length > IGD_DESCRIPTION_MAX)
    return fail(
      'TooLong',
      `A device description over ${IGD_DESCRIPTION_MAX / 1024} KiB is not one hnet reads.`,
    );
  const base = elementText(xml, 'URLBase') || location;
  const found: WanConnection[] = [];
  let elsewhere: string | undefined;
  for (const service of elementContents(xml, 'service', 256)) {
    const serviceType = WAN_CONNECTION_SERVICES.find(
      (known) => known === elementText(service, 'serviceType'),
    );
    const control = elementText(service, 'controlURL');
    if (!serviceType || !control || !URL.canParse(control, base)) continue;
    const controlUrl = new URL(control, base).href;
    if (!isGatewayUrl(controlUrl, gatewayIp)) {
      elsewhere = controlUrl;
      continue;
    }
    found.push({ serviceType, controlUrl });
  }
  if (found.length === 0) {
    if (elsewhere)
      return fail(
        'NotForUs',
        `The router's control URL ${elsewhere.slice(0, 200)} is not on the gateway ${gatewayIp}.`,
      );
    return fail('BadFormat', 'The device description lists no WANIPConnection or WANPPPConnection service.');
  }
  const rank = (c: WanConnection) => WAN_CONNECTION_SERVICES.indexOf(c.serviceType);
  return ok(found.sort((a, b) => rank(a) - rank(b)));
}
