// The dashboard's HTTP server: license.json and its key for devices and the setup-server dialog,
// the REST API, and the web UI that uses it.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LICENSE_KEY_PATH, LICENSE_PATH } from '../../src-protocol/license-key.js';
import type { Logger } from '../../src-main/engine/log.js';
import type { IssuedLicense } from '../license/license-issuer.js';
import { handleApi, type DashboardContext } from './api-routes.js';
import { HttpError, send, sendJson } from './http-kit.js';
import { uiAssets } from './ui-assets.js';

export interface DashboardOptions {
  host: string;
  port: number;
  context: DashboardContext;
  license: IssuedLicense;
  log: Logger;
}

export class DashboardServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: DashboardOptions): Promise<DashboardServer> {
    const log = options.log.with({ component: 'dashboard' });
    const server = createServer((request, response) => {
      void serve(options, request, response).catch((error: unknown) => {
        const failure =
          error instanceof HttpError
            ? error
            : new HttpError(500, 'Internal', 'The server failed; see its log.');
        if (!(error instanceof HttpError))
          log.error('request-failed', { path: request.url, reason: String(error) });
        if (!response.headersSent)
          sendJson(
            response,
            failure.status,
            { error: { kind: failure.kind, message: failure.message } },
            failure.headers,
          );
        else response.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.listen(options.port, options.host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    log.info('dashboard-listening', { host: options.host, port });
    return new DashboardServer(server, port);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A browser sends Origin on every cross-site change; refusing foreign ones backs up the CSRF token. */
function checkOrigin(request: IncomingMessage): void {
  const origin = request.headers.origin;
  if (request.method === 'GET' || request.method === 'HEAD' || origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== request.headers.host)
    throw new HttpError(403, 'ForeignOrigin', 'Requests from other sites are not accepted.');
}

async function serve(
  options: DashboardOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
  if (request.method === 'GET' && path === LICENSE_PATH)
    return send(response, 200, options.license.json, 'application/json; charset=utf-8');
  if (request.method === 'GET' && path === LICENSE_KEY_PATH)
    return send(response, 200, options.license.keyText, 'text/plain; charset=utf-8');
  const asset = request.method === 'GET' ? uiAssets.get(path) : undefined;
  if (asset) return send(response, 200, asset.body, asset.type);
  if (path.startsWith('/api/')) {
    checkOrigin(request);
    const answer = await handleApi(options.context, request, path, request.socket.remoteAddress ?? 'unknown');
    if (answer) return sendJson(response, answer.status ?? 200, answer.body, answer.headers);
  }
  throw new HttpError(404, 'NotFound', `Nothing at ${path}.`);
}
