import type { AddressInfo } from 'node:net';
import { makeEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';

/** The address a listening socket got (the real port when 0 was asked for). */
export function boundEndpoint(info: AddressInfo | string | null): Endpoint {
  if (!info || typeof info === 'string') throw new Error('the socket is not listening on an IP address');
  const endpoint = makeEndpoint(info.address, info.port);
  if (!endpoint.ok) throw new Error(`the kernel reported an odd address ${info.address}`);
  return endpoint.value;
}
