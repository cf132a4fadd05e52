// Finds the gateway's UPnP device description. The M-SEARCH goes to the gateway itself first
// (UPnP 1.1 devices answer a unicast search); later tries also go to the SSDP group for UPnP 1.0
// routers. Only an answer from the gateway whose LOCATION is on the gateway counts: any other
// device on the LAN could answer, and would then choose where our SOAP calls go.
import { createSocket } from 'node:dgram';
import { isGatewayUrl } from '../../../../src-protocol/portmap/igd-description.js';
import {
  IGD_SEARCH_TARGET,
  SSDP_MULTICAST_GROUP,
  decodeSsdpAnswer,
  encodeSsdpSearch,
} from '../../../../src-protocol/portmap/ssdp.js';
import { mapped, notMapped, type MapOutcome } from './mapping.js';
import { retryUntilAnswered } from './udp-exchange.js';

export interface SsdpOptions {
  /** 1900, but tests run fake routers elsewhere. */
  port: number;
  retryDelaysMs: readonly number[];
  /** Whether retries also go to the SSDP group; tests turn it off so nothing leaves the machine. */
  multicast: boolean;
}

/** The description URL the gateway announced. */
export function ssdpSearch(
  gateway: string,
  options: SsdpOptions,
  signal: AbortSignal,
): Promise<MapOutcome<string>> {
  const socket = createSocket('udp4');
  const search = encodeSsdpSearch(IGD_SEARCH_TARGET, 1);
  let ignored = 0;
  let elsewhere: string | undefined;
  const ignoreSendError = () => undefined;
  return retryUntilAnswered(
    {
      socket,
      retryDelaysMs: options.retryDelaysMs,
      open: (ready) =>
        socket.bind(0, () => {
          socket.setMulticastTTL(2);
          ready();
        }),
      send: (attempt) => {
        socket.send(search, options.port, gateway, ignoreSendError);
        if (attempt > 0 && options.multicast)
          socket.send(search, options.port, SSDP_MULTICAST_GROUP, ignoreSendError);
      },
      read: (bytes, from) => {
        const answer = from.address === gateway ? decodeSsdpAnswer(bytes) : undefined;
        if (!answer?.ok) return void ignored++;
        if (!isGatewayUrl(answer.value.location, gateway)) {
          elsewhere = answer.value.location.slice(0, 200);
          return void ignored++;
        }
        return mapped(answer.value.location);
      },
      unanswered: () => {
        if (elsewhere)
          return notMapped('BadAnswer', `the UPnP answer points at ${elsewhere}, not the gateway`);
        const dropped = ignored > 0 ? ` (${ignored} answers from elsewhere or unusable dropped)` : '';
        return notMapped('NoAnswer', `no UPnP answer from ${gateway}${dropped}`);
      },
      failed: (error) => notMapped('NoAnswer', `SSDP search: ${error.message}`),
    },
    signal,
  );
}
