// The observability endpoint: GET /metrics (Prometheus text) and GET /status (JSON).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import type { AcceptLog } from '../../src-shared/accept-errors.js';
import { BOUNDED_SERVER_OPTIONS, boundHttpServer, type BoundedHttp } from '../bounded-http.js';
import type { SlotLimits } from '../connection-slots.js';
import { boundEndpoint } from './bound-address.js';

// A scraper needs one connection and an operator's curl another: what the open-file budget counts.
export const STATUS_LIMITS: SlotLimits = { total: 16, perSource: 8 };
const STATUS_TIMEOUTS = { headersMs: 5_000, requestMs: 10_000, idleMs: 30_000, keepAliveMs: 5_000 };

export interface StatusSource {
  metricsText(): string;
  status(): unknown;
}

export class StatusHttp {
  private constructor(
    private readonly server: Server,
    private readonly bounds: BoundedHttp,
  ) {}

  static async listen(address: Endpoint, source: StatusSource, log: AcceptLog): Promise<StatusHttp> {
    const server = createServer(BOUNDED_SERVER_OPTIONS, (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end('Only GET is served here.\n');
      } else if (path === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(source.metricsText());
      } else if (path === '/status') {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(source.status(), null, 2));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Try /metrics or /status.\n');
      }
    });
    const bounds = boundHttpServer(server, {
      name: 'base-metrics',
      log,
      limits: STATUS_LIMITS,
      timeouts: STATUS_TIMEOUTS,
    });
    server.listen(address.port, address.ip);
    await once(server, 'listening').catch((error: Error) => {
      throw new Error(`Cannot serve metrics on ${address.ip}:${address.port}: ${error.message}`);
    });
    return new StatusHttp(server, bounds);
  }

  get address(): Endpoint {
    return boundEndpoint(this.server.address());
  }

  close(): Promise<void> {
    this.bounds.stop();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
