// One process running any of the three parts of an hnet service — base server, dashboard (with
// license.json) and websetup — over one state directory and one database. Each part can also run
// alone (a dashboard and a websetup sharing a PostgreSQL database, for example): then websetup
// notices dashboard changes by its periodic sweep instead of being told at once.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAddress, parseOverlayAddress } from '../src-protocol/address.js';
import { initCrypto } from '../src-protocol/crypto.js';
import { parseIdentityFile } from '../src-protocol/identity.js';
import { createLogger, type Logger } from '../src-main/engine/client.js';
import { BaseServer } from './base/base-server.js';
import { DEFAULT_TCP_PORT, type BaseServerConfig } from './base/config.js';
import { DASHBOARD_LIMITS, DashboardServer } from './dashboard/dashboard-server.js';
import { LoginLimiter } from './dashboard/login-limiter.js';
import { newToken } from './dashboard/sessions.js';
import { DEFAULT_MAX_DEVICES, issueLicense } from './license/license-issuer.js';
import { loadOrCreateSigningKey } from './license/signing-key.js';
import { fitBaseToOpenFiles, openFileLimit } from './open-file-limit.js';
import type { StackSettings } from './stack-config.js';
import { Store } from './store/store.js';
import { WebsetupNode } from './websetup/websetup-node.js';

export const SIGNING_KEY_FILE = 'license-key';
export const DATABASE_FILE = 'hnet.sqlite';

export class ServerStack {
  private constructor(
    readonly store: Store,
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
    const started: { stop(): Promise<void> }[] = [{ stop: () => store.close() }];
    try {
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
            log,
          })
        : undefined;
      if (websetup) started.unshift(websetup);
      let dashboard: DashboardServer | undefined;
      let fingerprint: string | undefined;
      let setupUrl: string | undefined;
      if (settings.parts.has('dashboard')) {
        const websetupHost = websetup?.address ?? (await knownWebsetupAddress(settings));
        const key = await loadOrCreateSigningKey(join(settings.stateDir, SIGNING_KEY_FILE));
        fingerprint = key.fingerprint;
        const license = issueLicense(
          {
            name: settings.name,
            dashboardUrl: settings.dashboardUrl,
            websetupHost,
            baseServers: settings.publicIps,
            baseTcpPort: settings.base?.tcp[0]?.port ?? DEFAULT_TCP_PORT,
            maxDevices: DEFAULT_MAX_DEVICES,
          },
          key,
        );
        if (!license.ok) throw new Error(license.error.message);
        const setupToken = newToken();
        dashboard = await DashboardServer.start({
          host: settings.http.host,
          port: settings.http.port,
          hostNames: [
            ...settings.publicIps,
            new URL(settings.dashboardUrl).hostname,
            ...settings.dashboardHosts,
          ],
          license: license.value,
          log,
          context: {
            store,
            limiter: new LoginLimiter(),
            websetup: parseOverlayAddress(websetupHost)!,
            allowSignup: settings.allowSignup,
            setupToken,
            secureCookies: settings.dashboardUrl.startsWith('https://'),
            facts: {
              name: settings.name,
              fingerprint: key.fingerprint,
              websetupHost,
              baseServers: settings.publicIps,
              dashboardUrl: settings.dashboardUrl,
            },
            devicesChanged: (addresses) => websetup?.server.devicesChanged(addresses),
          },
        });
        log.info('license-key', { fingerprint: key.fingerprint });
        if (!(await store.hasFirstAccount())) {
          const link = new URL(settings.dashboardUrl);
          link.hash = `setup=${setupToken}`;
          setupUrl = link.href;
        }
      }
      return new ServerStack(store, base, websetup, dashboard, fingerprint, setupUrl);
    } catch (error) {
      for (const part of started) await part.stop().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.dashboard?.close();
    await this.websetup?.stop();
    await this.base?.close();
    await this.store.close();
  }
}

/** The base's settings with its connection cap fitted, beside the dashboard's, to the open-file limit. */
function fittedBase(settings: StackSettings, base: BaseServerConfig, log: Logger): BaseServerConfig {
  const dashboard = settings.parts.has('dashboard') ? DASHBOARD_LIMITS.total : 0;
  const fitted = fitBaseToOpenFiles(base, dashboard, openFileLimit());
  if (fitted.warning) log.warn('base-connections-lowered', { reason: fitted.warning });
  return fitted.config;
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
