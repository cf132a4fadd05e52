// The observability endpoint: GET /metrics (Prometheus text) and GET /status (JSON).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Endpoint } from '../../src-protocol/endpoint.js';
import { boundEndpoint } from './bound-address.js';

export interface StatusSource {
  metricsText(): string;
  status(): unknown;
}

export class StatusHttp {
  private constructor(private readonly server: Server) {}

  static async listen(address: Endpoint, source: StatusSource): Promise<StatusHttp> {
    const server = createServer((request, response) => {
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
    server.listen(address.port, address.ip);
    await once(server, 'listening').catch((error: Error) => {
      throw new Error(`Cannot serve metrics on ${address.ip}:${address.port}: ${error.message}`);
    });
    return new StatusHttp(server);
  }

  get address(): Endpoint {
    return boundEndpoint(this.server.address());
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
