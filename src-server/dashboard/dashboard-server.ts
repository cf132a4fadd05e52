// The dashboard's HTTP server: license.json and its key for devices and the setup-server dialog,
// the REST API, and the web UI that uses it.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LICENSE_KEY_PATH, LICENSE_PATH } from '../../src-protocol/license-key.js';
import type { Logger } from '../../src-main/engine/client.js';
import {
  BOUNDED_SERVER_OPTIONS,
  boundHttpServer,
  type BoundedHttp,
  type HttpTimeouts,
} from '../bounded-http.js';
import type { SlotLimits } from '../connection-slots.js';
import type { IssuedLicense } from '../license/license-issuer.js';
import { AllowedHosts } from './allowed-hosts.js';
import { decodePathPart, handleApi, type DashboardContext } from './api-routes.js';
import { HttpError, send, sendJson } from './http-kit.js';
import { uiAssets } from './ui-assets.js';

export interface DashboardOptions {
  host: string;
  port: number;
  context: DashboardContext;
  /** Names and addresses it is reached at besides the bind address (see allowed-hosts.ts). */
  hostNames?: readonly string[];
  /** Served until `useLicense` replaces it. */
  license: IssuedLicense;
  log: Logger;
}

// Connection bounds (docs/decisions.md, "The server's public listeners under abuse"). A browser
// opens up to 6 connections to a site and devices fetch license.json once: 64 per address leaves
// room for a few users behind one NAT; 256 in all is what the stack's open-file budget counts.
export const DASHBOARD_LIMITS: SlotLimits = { total: 256, perSource: 64 };
const DASHBOARD_TIMEOUTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 30_000,
  keepAliveMs: 5_000,
};

export class DashboardServer {
  private constructor(
    private readonly server: Server,
    private readonly bounds: BoundedHttp,
    readonly port: number,
    private readonly options: DashboardOptions,
  ) {}

  static async start(given: DashboardOptions): Promise<DashboardServer> {
    // A copy, since useLicense changes it.
    const options = { ...given };
    const log = options.log.with({ component: 'dashboard' });
    const hosts = new AllowedHosts(options.host, options.hostNames ?? []);
    const server = createServer(BOUNDED_SERVER_OPTIONS, (request, response) => {
      void serve(options, hosts, request, response).catch((error: unknown) => {
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
    const bounds = boundHttpServer(server, {
      name: 'dashboard',
      log,
      limits: DASHBOARD_LIMITS,
      timeouts: DASHBOARD_TIMEOUTS,
    });
    server.listen(options.port, options.host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    log.info('dashboard-listening', { host: options.host, port });
    return new DashboardServer(server, bounds, port, options);
  }

  /** license.json from now on: issued again because the servers sharing the database changed. */
  useLicense(license: IssuedLicense): void {
    this.options.license = license;
  }

  close(): Promise<void> {
    this.bounds.stop();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** 421: this server does not answer for that name; the page says where the dashboard is. */
function refuseHost(
  options: DashboardOptions,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): void {
  const shown = JSON.stringify((request.headers.host ?? '').slice(0, 100));
  const message = `This dashboard does not answer to the name ${shown}; open ${options.context.facts.dashboardUrl} instead, or start hnet-server with --dashboard-host naming it.`;
  if (path.startsWith('/api/')) return sendJson(response, 421, { error: { kind: 'UnknownHost', message } });
  send(response, 421, `${message}\n`, 'text/plain; charset=utf-8');
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

/** The request's path, still escaped. A target that is no path or has a malformed %-escape is a 400. */
function requestPath(target = '/'): string {
  let path: string;
  try {
    path = new URL(target, 'http://dashboard').pathname;
  } catch {
    throw new HttpError(400, 'BadPath', 'The request does not name a path on this server.');
  }
  decodePathPart(path);
  return path;
}

async function serve(
  options: DashboardOptions,
  hosts: AllowedHosts,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = requestPath(request.url);
  // Public and read-only, and fetched by devices (stock Husarnet ones too) under whatever name
  // their owner typed: these two answer every Host.
  if (request.method === 'GET' && path === LICENSE_PATH)
    return send(response, 200, options.license.json, 'application/json; charset=utf-8');
  if (request.method === 'GET' && path === LICENSE_KEY_PATH)
    return send(response, 200, options.license.keyText, 'text/plain; charset=utf-8');
  if (!hosts.allows(request.headers.host)) return refuseHost(options, request, response, path);
  const asset = request.method === 'GET' ? uiAssets.get(path) : undefined;
  if (asset) return send(response, 200, asset.body, asset.type);
  if (path.startsWith('/api/')) {
    checkOrigin(request);
    const answer = await handleApi(options.context, request, path, request.socket.remoteAddress ?? 'unknown');
    if (answer) return sendJson(response, answer.status ?? 200, answer.body, answer.headers);
  }
  throw new HttpError(404, 'NotFound', `Nothing at ${path}.`);
}
