// HTTP to the gateway and nowhere else, for UPnP's description and SOAP calls: the URL must name
// the gateway's own address, nothing is followed, and the answer is cut off past a size and a time.
import { isGatewayUrl } from '../../../../src-protocol/portmap/igd-description.js';
import { mapped, notMapped, type MapOutcome } from './mapping.js';

export interface GatewayHttpRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  maxBytes: number;
  timeoutMs: number;
}

export interface GatewayHttpAnswer {
  status: number;
  body: string;
  /** Our address on the connection: the LAN address a UPnP mapping must point at. */
  localAddress: string;
}

export async function gatewayHttp(
  url: string,
  gateway: string,
  ask: GatewayHttpRequest,
  signal: AbortSignal,
): Promise<MapOutcome<GatewayHttpAnswer>> {
  if (!isGatewayUrl(url, gateway))
    return notMapped('BadAnswer', `${url.slice(0, 200)} is not on the gateway ${gateway}`);
  const target = new URL(url);
  // Loaded when a router is first asked, not at every start of hnetd (node:http costs it ~2.5 ms).
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    let done = false;
    let localAddress = '';
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (outcome: MapOutcome<GatewayHttpAnswer>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(outcome);
    };
    const body = ask.body === undefined ? undefined : Buffer.from(ask.body, 'utf8');
    const req = request({
      host: gateway,
      port: Number(target.port || 80),
      path: `${target.pathname}${target.search}`,
      method: ask.method,
      agent: false,
      maxHeaderSize: 8192,
      headers: {
        ...ask.headers,
        Host: target.host,
        Connection: 'close',
        ...(body ? { 'Content-Length': String(body.length) } : {}),
      },
    });
    const timer = setTimeout(
      () => finish(notMapped('NoAnswer', `${gateway} did not answer ${url} in time`)),
      ask.timeoutMs,
    );
    const onAbort = () => finish(notMapped('NoAnswer', 'stopped while waiting for the router'));
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    req.on('error', (error) => finish(notMapped('NoAnswer', `${url.slice(0, 200)}: ${error.message}`)));
    req.on('response', (res) => {
      localAddress = res.socket.localAddress ?? '';
      res.on('error', (error) => finish(notMapped('NoAnswer', `${url.slice(0, 200)}: ${error.message}`)));
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > ask.maxBytes)
          return finish(
            notMapped(
              'BadAnswer',
              `${gateway} sent more than ${ask.maxBytes} bytes for ${url.slice(0, 200)}`,
            ),
          );
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(
          mapped({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), localAddress }),
        ),
      );
    });
    req.end(body);
  });
}
