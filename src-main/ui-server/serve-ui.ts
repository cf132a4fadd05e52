// Browser mode: the engine serves the desktop app's UI on 127.0.0.1 with a token, for machines
// without Electron (an offline install, a headless box reached over ssh -L). The page talks back over
// one WebSocket carrying the same bridge Electron's preload exposes. Port and token outlive a restart
// (ui-session.ts), so an open page reconnects by itself once it has checked who answers (/alive).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { surviveAcceptErrors } from '../../src-shared/accept-errors.js';
import { HelperClient } from '../../src-helper/api/helper-client.js';
import { errorText, failure, success, type Outcome } from '../contract/errors.js';
import type { Logger } from '../engine/client.js';
import { sayGoodbye } from '../../src-shared/say-goodbye.js';
import { createBridgeBackend } from '../ui-host/bridge-backend.js';
import { findHelperBundle, helperInstaller } from '../ui-host/helper-install.js';
import { SocketEngineLink } from '../ui-host/engine-link.js';
import { readRendererFile, rendererDir, securityHeaders } from '../ui-host/renderer-files.js';
import { hnetServerCommand, isPrivileged, LocalServerHost } from '../ui-host/local-server-host.js';
import { createShellHandlers } from '../ui-host/shell-handlers.js';
import { checkCookie, checkSite, newToken, sessionCookie, tokenMatches, type UiAccess } from './access.js';
import { nonceForm, proveServer, serverKeyFor } from './server-proof.js';
import { MAX_MESSAGE_BYTES, serveBridge } from './socket-bridge.js';
import { loadUiSession, saveUiSession, uiSessionFile } from './ui-session.js';
import { announceUiUrl, forgetUiUrl, uiUrlFile } from './ui-url.js';

export const BRIDGE_PATH = '/bridge';
/** Answers a nonce with the server's proof, without a cookie (server-proof.ts). */
export const ALIVE_PATH = '/alive';

// Bounds (docs/decisions.md, "The local listeners under abuse"). The server listens on 127.0.0.1
// only, so every connection comes from this machine and the peer address tells nothing of who
// sent it: one total cap, and short timeouts so that a connection which is not a working page
// gives its place back soon. A page needs a few connections (its files, one WebSocket).
const MAX_CONNECTIONS = 32;
const MAX_BRIDGES = 8;
const DEFAULT_TIMEOUTS: UiTimeouts = {
  // From connecting to the end of the request headers, and to the end of the whole request.
  headersMs: 10_000,
  requestMs: 15_000,
  // An HTTP connection with nothing moving (a response that is not being read, an idle keep-alive).
  idleMs: 30_000,
};
const KEEP_ALIVE_MS = 5_000;
// How often Node checks requests against headersMs and requestMs.
const TIMEOUT_CHECK_MS = 1_000;

export interface UiTimeouts {
  headersMs: number;
  requestMs: number;
  idleMs: number;
}

export interface UiServerOptions {
  /** The engine's control socket: the UI is one more client of it. */
  controlSocket: string;
  helperSocket: string;
  log: Logger;
  /**
   * 0 (the default): the port of the last run if it is still free (with its token), else any free
   * one (with a new token).
   */
  port?: number;
  /** The built UI; found next to the sources or the build by default. */
  rendererDir?: string;
  /** The engine's state directory: "Host a server on this machine" keeps the server's beside it. */
  stateDir?: string;
  /** Tests shorten them. */
  timeouts?: UiTimeouts;
}

export interface UiServer {
  /** The address to open, token included. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const uiNotBuilt =
  'the UI is not built (src-renderer/dist is missing): run "npx vite build --config src-renderer/vite.config.ts"';

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** The server this UI can start; it lives as long as the UI (hnetd stops both). */
function hostedServer(options: UiServerOptions): LocalServerHost | undefined {
  const command = hnetServerCommand();
  if (!options.stateDir || !command) return undefined;
  return new LocalServerHost({
    stateDir: join(options.stateDir, 'server'),
    command,
    privileged: isPrivileged(),
    advertise: process.env['HNET_SERVER_ADVERTISE'],
    log: options.log.with({ component: 'local-server' }),
  });
}

export async function serveUi(options: UiServerOptions): Promise<Outcome<UiServer>> {
  const dir = options.rendererDir ?? rendererDir();
  if (!dir) return failure('NotAvailable', uiNotBuilt);
  const { log } = options;
  const link = new SocketEngineLink(options.controlSocket, log.with({ component: 'ui' }));
  const helper = new HelperClient(options.helperSocket);
  const localServer = hostedServer(options);
  const backend = createBridgeBackend(
    link,
    createShellHandlers({
      link,
      helper: () => helper.call({ op: 'status' }),
      installHelper: helperInstaller(findHelperBundle()),
      ...(localServer ? { localServer } : {}),
    }),
  );
  // Filled in once the server listens, before any request can arrive.
  const access: UiAccess = { port: 0, token: '' };
  let serverKey = '';
  const headers = (): Record<string, string> =>
    securityHeaders([
      `ws://127.0.0.1:${access.port}`,
      `ws://localhost:${access.port}`,
      `http://127.0.0.1:${access.port}${ALIVE_PATH}`,
      `http://localhost:${access.port}${ALIVE_PATH}`,
    ]);

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const site = checkSite(req.headers, access.port, false);
    if (!site.ok) {
      log.warn('ui-refused', { reason: site.reason, host: req.headers.host, origin: req.headers.origin });
      return plain(
        res,
        site.status,
        'Forbidden: this is the hnet UI and only answers its own page.',
        headers(),
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return plain(res, 405, 'Method not allowed.', headers());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === ALIVE_PATH) {
      const nonce = url.searchParams.get('nonce') ?? '';
      if (!nonceForm.test(nonce)) return plain(res, 400, 'Bad nonce.', headers());
      return plain(res, 200, proveServer(serverKey, nonce), headers());
    }
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (url.pathname !== '/' || !tokenMatches(access.token, given)) {
        log.warn('ui-refused', { reason: 'wrong token' });
        return plain(
          res,
          403,
          'This link is not valid (hnet makes a new one after a reboot, or when its port was taken). Run "hnet ui" for the current one.',
          headers(),
        );
      }
      // The token moves into a cookie and out of the address bar and history.
      res.writeHead(303, { ...headers(), Location: '/', 'Set-Cookie': sessionCookie(access) });
      return void res.end();
    }
    const cookie = checkCookie(req.headers, access);
    if (!cookie.ok)
      return plain(
        res,
        401,
        'Open the hnet UI with the address "hnet ui" prints (it carries a token).',
        headers(),
      );
    const file = await readRendererFile(dir, url.pathname);
    if (!file) return plain(res, 404, 'Not found.', headers());
    res.writeHead(200, {
      ...headers(),
      'Content-Type': file.contentType,
      'Content-Length': file.body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    (req, res) => {
      answer(req, res).catch((error: unknown) => {
        log.error('ui-request-failed', { reason: errorText(error) });
        if (!res.headersSent) plain(res, 500, 'hnet failed to answer this request.', headers());
        else res.destroy();
      });
    },
  );
  // Beyond the cap a connection is closed as soon as it is accepted, so a flood costs no fds.
  server.maxConnections = MAX_CONNECTIONS;
  server.timeout = timeouts.idleMs;
  // A malformed or too slow request, or a client gone. Node's own handling leaves a connection
  // that never sent a byte open past headersMs (and its idle timeout then never fires): close.
  server.on('clientError', (_error: Error, socket: Duplex) => socket.destroy());
  // Every connection, upgraded ones included (Node forgets those), so close() can end them all.
  const connections = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own error handling from an upgraded socket: ours comes before any write.
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const site = checkSite(req.headers, access.port, true);
    const verdict =
      path !== BRIDGE_PATH
        ? { ok: false, reason: 'unknown path' }
        : site.ok
          ? checkCookie(req.headers, access)
          : site;
    if (!verdict.ok) {
      log.warn('ui-refused', {
        reason: `WebSocket: ${'reason' in verdict ? verdict.reason : ''}`,
        origin: req.headers.origin,
      });
      sayGoodbye(socket, 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (sockets.clients.size >= MAX_BRIDGES) {
      log.warn('ui-refused', { reason: `more than ${MAX_BRIDGES} open pages` });
      sayGoodbye(
        socket,
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveBridge(ws, backend, serverKey));
  });

  const listen = (port: number) =>
    new Promise<Outcome<void>>((resolve) => {
      const failed = (error: Error) =>
        resolve(failure('BadState', `cannot serve the UI on port ${port}: ${errorText(error)}`));
      server.once('error', failed);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', failed);
        resolve(success(undefined));
      });
    });
  const sessionFile = uiSessionFile(options.controlSocket);
  const saved = await loadUiSession(sessionFile, log);
  const chosenPort = options.port || 0;
  let listening = await listen(chosenPort || saved?.port || 0);
  if (!listening.ok && !chosenPort && saved) {
    // Whoever holds the port now may have been sent the cookie by a page reconnecting: that token
    // is done with.
    log.warn('ui-port-taken', { port: saved.port, reason: `${listening.error.message}; new port and token` });
    listening = await listen(0);
  }
  if (!listening.ok) {
    link.close();
    return listening;
  }
  surviveAcceptErrors(server, {
    log,
    name: 'ui',
    shed: () => {
      const [oldest] = connections;
      oldest?.destroy();
      return oldest !== undefined;
    },
    // Never listened again: another local user could take the port meanwhile and be sent the
    // session cookie by the browser. The engine carries on without its browser UI.
    stopped: () => undefined,
  });
  const address = server.address();
  access.port = typeof address === 'object' && address ? address.port : 0;
  const reused = saved?.port === access.port;
  access.token = reused ? saved.token : newToken();
  serverKey = serverKeyFor(access.token);
  if (!reused) await saveUiSession(sessionFile, { port: access.port, token: access.token }, log);
  const url = `http://127.0.0.1:${access.port}/?token=${access.token}`;
  log.info('ui-ready', { port: access.port, sameAddressAsLastRun: reused });
  const urlFile = await announceUiUrl(url, uiUrlFile(options.controlSocket), log);

  return success({
    url,
    port: access.port,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      link.close();
      for (const socket of connections) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (urlFile) await forgetUiUrl(urlFile);
      await localServer?.stop();
    },
  });
}
