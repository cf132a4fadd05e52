// One process running any of the three parts of an hnet service — base server, dashboard (with
// license.json) and websetup — over one state directory and one database. Several such processes
// may share one PostgreSQL database (README "Several servers on PostgreSQL"): each registers its
// bases there so every license lists them all, all sign with the one key the database records, and
// a change made through any dashboard reaches, over LISTEN/NOTIFY, the websetup node that manages
// each device it touches.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAddress, parseOverlayAddress } from '../src-protocol/address.js';
import { initCrypto } from '../src-protocol/crypto.js';
import { formatEndpoint } from '../src-protocol/endpoint.js';
import { parseIdentityFile } from '../src-protocol/identity.js';
import { createLogger, type Logger } from '../src-main/engine/client.js';
import { BaseServer } from './base/base-server.js';
import { DEFAULT_TCP_PORT, type BaseServerConfig } from './base/config.js';
import { DASHBOARD_LIMITS, DashboardServer } from './dashboard/dashboard-server.js';
import { LoginLimiter } from './dashboard/login-limiter.js';
import { newToken } from './dashboard/sessions.js';
import { LicenseBook } from './license/license-book.js';
import { DEFAULT_MAX_DEVICES } from './license/license-issuer.js';
import { sharedSigningKey } from './license/shared-signing-key.js';
import { fitBaseToOpenFiles, openFileLimit } from './open-file-limit.js';
import type { StackSettings } from './stack-config.js';
import { localChanges, notifyEach, postgresChanges, type ChangeChannel } from './store/pg-notifications.js';
import { Store } from './store/store.js';
import { DEVICES_CHANNEL } from './websetup/websetup-server.js';
import { WebsetupNode } from './websetup/websetup-node.js';
import { writeFileAtomic } from '../src-shared/atomic-file.js';

export const SIGNING_KEY_FILE = 'license-key';
export const DATABASE_FILE = 'hnet.sqlite';
/** This server's name in the database's registry of servers, made at its first start. */
export const SERVER_ID_FILE = 'server-id';
/** The change channel's news that a server (its id) registered: every dashboard issues its license again. */
const SERVERS_CHANNEL = 'hnet_servers_changed';

export class ServerStack {
  private constructor(
    readonly store: Store,
    private readonly changes: ChangeChannel,
    readonly base: BaseServer | undefined,
    readonly websetup: WebsetupNode | undefined,
    readonly dashboard: DashboardServer | undefined,
    readonly fingerprint: string | undefined,
    /**
     * While the server has no account: the dashboard link that creates the first one, carrying the
     * one-time setup token in its #fragment (never sent to a server or written to access logs).
     */
    readonly setupUrl: string | undefined,
  ) {}

  static async start(settings: StackSettings, log: Logger = createLogger('info')): Promise<ServerStack> {
    await initCrypto();
    await mkdir(settings.stateDir, { recursive: true, mode: 0o700 });
    const store = await Store.open(settings.database ?? join(settings.stateDir, DATABASE_FILE));
    const changes = settings.database
      ? postgresChanges(settings.database, (line) => log.warn('change-channel', { line }))
      : localChanges();
    const started: { stop(): Promise<void> }[] = [
      { stop: () => store.close() },
      { stop: () => changes.close() },
    ];
    const ignored = (what: string) => (error: unknown) =>
      log.warn(what, { reason: (error as Error).message });
    try {
      // Before anything listens or registers: a server that may not sign starts nothing.
      const key = settings.parts.has('dashboard')
        ? await sharedSigningKey(join(settings.stateDir, SIGNING_KEY_FILE), store)
        : undefined;
      const base =
        settings.parts.has('base') && settings.base
          ? await BaseServer.start(fittedBase(settings, settings.base, log), (line) =>
              log.info('base', { line }),
            )
          : undefined;
      if (base) started.unshift({ stop: () => base.close() });
      const websetup = settings.parts.has('websetup')
        ? await WebsetupNode.start({
            stateDir: settings.stateDir,
            baseServers: settings.websetupBase,
            udpPort: settings.websetupUdpPort,
            store,
            changes,
            log,
          })
        : undefined;
      if (websetup) started.unshift(websetup);
      const baseTcpPort = settings.base?.tcp[0]?.port ?? DEFAULT_TCP_PORT;
      if (settings.publicIps.length > 0 && (settings.parts.has('base') || settings.parts.has('dashboard'))) {
        const id = await serverId(settings.stateDir);
        const bases = settings.publicIps.map((ip) => formatEndpoint({ ip, port: baseTcpPort }));
        await store.registerServer(id, bases, websetup?.address ?? null);
        await changes.notify(SERVERS_CHANNEL, id).catch(ignored('server-notify-failed'));
      }
      let dashboard: DashboardServer | undefined;
      let fingerprint: string | undefined;
      let setupUrl: string | undefined;
      if (key) {
        const websetupHost = websetup?.address ?? (await knownWebsetupAddress(settings));
        fingerprint = key.fingerprint;
        const book = await LicenseBook.open(
          {
            name: settings.name,
            dashboardUrl: settings.dashboardUrl,
            websetupHost,
            baseServers: settings.publicIps,
            baseTcpPort,
            maxDevices: DEFAULT_MAX_DEVICES,
          },
          key,
          store,
        );
        const facts = {
          name: settings.name,
          fingerprint: key.fingerprint,
          websetupHost,
          baseServers: book.current.license.base_server_addresses,
          dashboardUrl: settings.dashboardUrl,
        };
        const setupToken = newToken();
        const running = await DashboardServer.start({
          host: settings.http.host,
          port: settings.http.port,
          hostNames: [
            ...settings.publicIps,
            new URL(settings.dashboardUrl).hostname,
            ...settings.dashboardHosts,
          ],
          license: book.current,
          log,
          context: {
            store,
            limiter: new LoginLimiter(),
            websetup: parseOverlayAddress(websetupHost)!,
            allowSignup: settings.allowSignup,
            setupToken,
            secureCookies: settings.dashboardUrl.startsWith('https://'),
            facts,
            devicesChanged: (addresses) =>
              websetup
                ? websetup.server.devicesChanged(addresses)
                : void notifyEach(changes, DEVICES_CHANNEL, addresses).catch(
                    ignored('devices-notify-failed'),
                  ),
          },
        });
        dashboard = running;
        started.unshift({ stop: () => running.close() });
        await listenForServers(
          changes,
          book,
          (license) => {
            running.useLicense(license);
            facts.baseServers = license.license.base_server_addresses;
            log.info('license-reissued', { baseServers: license.license.base_server_addresses.join(',') });
          },
          ignored('license-reissue-failed'),
        );
        log.info('license-key', { fingerprint: key.fingerprint });
        if (!(await store.hasFirstAccount())) {
          const link = new URL(settings.dashboardUrl);
          link.hash = `setup=${setupToken}`;
          setupUrl = link.href;
        }
      }
      return new ServerStack(store, changes, base, websetup, dashboard, fingerprint, setupUrl);
    } catch (error) {
      for (const part of started) await part.stop().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.dashboard?.close();
    await this.websetup?.stop();
    await this.base?.close();
    await this.changes.close();
    await this.store.close();
  }
}

/** This server's id in the registry: made at its first start and kept in the state directory. */
async function serverId(stateDir: string): Promise<string> {
  const file = join(stateDir, SERVER_ID_FILE);
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  await writeFileAtomic(file, `${id}\n`, 0o600);
  return id;
}

/**
 * Issues the license again whenever a server registers, or after the channel was down (a
 * registration may have been missed), and hands it on when its bases changed.
 */
async function listenForServers(
  changes: ChangeChannel,
  book: LicenseBook,
  use: (license: LicenseBook['current']) => void,
  failed: (error: unknown) => void,
): Promise<void> {
  const refresh = async (): Promise<void> => {
    if (await book.refresh()) use(book.current);
  };
  await changes.listen(SERVERS_CHANNEL, () => void refresh().catch(failed));
  // A server that registered between this one's license and its listening is caught here.
  await refresh();
}

/** The base's settings with its connection cap fitted, beside the dashboard's, to the open-file limit. */
/**
 * The base's settings within what the open-file limit holds; on PostgreSQL the base also joins the
 * cluster of every base sharing the database, reached by the others at the first public IP.
 */
function fittedBase(settings: StackSettings, base: BaseServerConfig, log: Logger): BaseServerConfig {
  const dashboard = settings.parts.has('dashboard') ? DASHBOARD_LIMITS.total : 0;
  const fitted = fitBaseToOpenFiles(base, dashboard, openFileLimit());
  if (fitted.warning) log.warn('base-connections-lowered', { reason: fitted.warning });
  if (!settings.database || fitted.config.cluster) return fitted.config;
  return {
    ...fitted.config,
    cluster: { database: settings.database, ip: fitted.config.advertiseIp ?? settings.publicIps[0] },
  };
}

/** Websetup's address when it runs in another process: given, or from its identity in the state dir. */
async function knownWebsetupAddress(settings: StackSettings): Promise<string> {
  if (settings.websetupAddress) return settings.websetupAddress;
  const file = join(settings.stateDir, 'websetup', 'id');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      `websetup's address is unknown: start "hnet-server websetup" once with this --state-dir, or give --websetup-address`,
    );
  }
  const identity = parseIdentityFile(text);
  if (!identity.ok) throw new Error(`${file} is not an identity file: ${identity.error.message}`);
  return formatAddress(identity.value.address);
}
