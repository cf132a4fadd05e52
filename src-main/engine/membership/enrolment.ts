// Enrolling this device with an hnet server: `setupServer` trusts a server's license (checked
// against the key fingerprint the user confirmed) and switches to its base servers; `join` hands a
// join code to the server's websetup node, which from then on manages the whitelist, the host table
// and the device's name (websetup-client.ts); `leave` ends that and takes back what websetup added.
import { formatAddress } from '../../../src-protocol/address.js';
import {
  generateWebsetupSecret,
  parseJoinCode,
  type JoinRefusal,
} from '../../../src-protocol/websetup-messages.js';
import { join as joinPath } from 'node:path';
import type { Enrolment } from './enrolment-state.js';
import type { JoinResult, LeaveResult, SetupServerResult } from '../../contract/control-calls.js';
import {
  ENROLMENT_FILE,
  enrolmentSchema,
  type EnrolmentComponents,
  type EnrolmentFile,
  type WebsetupLink,
} from './enrolment-state.js';
import { failure, success, type Outcome } from '../../contract/errors.js';
import { PersistedJson } from '../state/persisted-json.js';
import { parseServerAddress } from '../../../src-shared/server-address.js';
import { fetchServerLicense, isConfirmed, type HttpGet } from './server-license.js';
import type { NetworkStatus, PeerReport, ServerInUse } from '../../contract/status.js';
import { WebsetupClient, type WebsetupClientOptions } from './websetup-client.js';

/** How long `join` waits for websetup before telling the user it keeps trying in the background. */
const JOIN_WAIT_MS = 30_000;

/** Websetup's refusals in words; the status and `hnet join` both say them. */
export const JOIN_REFUSED: Readonly<Record<JoinRefusal, string>> = {
  'unknown-code': 'unknown or revoked join code',
};

export interface EnrolmentOptions extends Partial<WebsetupClientOptions> {
  /** How the license is fetched (tests put a man in the middle here). */
  httpGet?: HttpGet;
  joinWaitMs?: number;
}

interface Opened {
  file: EnrolmentFile;
  client: WebsetupClient;
}

export class EngineEnrolment implements Enrolment {
  private readonly ready: Promise<Outcome<Opened>>;
  private opened: Opened | undefined;

  constructor(
    private readonly c: EnrolmentComponents,
    private readonly options: EnrolmentOptions = {},
  ) {
    this.ready = this.open();
  }

  private async open(): Promise<Outcome<Opened>> {
    const file = await PersistedJson.open(
      joinPath(this.c.config.stateDir, ENROLMENT_FILE),
      enrolmentSchema,
      {},
    );
    if (!file.ok) {
      this.c.log.error('enrolment-state-damaged', { reason: file.error.message });
      return file;
    }
    const client = new WebsetupClient(this.c, file.value, {
      ...(this.options.retryMs === undefined ? {} : { retryMs: this.options.retryMs }),
    });
    file.value.onChange(() => this.c.changed());
    // Before `ready` resolves, so the saved websetup is the management peer before the engine
    // starts its data plane (Engine.start waits for savedBaseServers).
    client.start();
    this.opened = { file: file.value, client };
    return success(this.opened);
  }

  async stop(): Promise<void> {
    const ready = await this.ready;
    if (ready.ok) ready.value.client.stop();
  }

  async savedBaseServers(): Promise<string[]> {
    const ready = await this.ready;
    return ready.ok ? (ready.value.file.value.server?.baseServers ?? []) : [];
  }

  networks(peers: readonly PeerReport[]): NetworkStatus[] {
    const state = this.opened?.file.value;
    const link = state?.websetup;
    if (!link) return [];
    const server = state.server?.websetupHost === link.address ? state.server : undefined;
    return [
      {
        websetup: link.address,
        server: server?.url ?? null,
        dashboardUrl: server?.dashboardUrl || null,
        hostname: link.hostname,
        names: link.networks ?? [],
        state: link.refused ? 'refused' : link.pendingCode === undefined ? 'joined' : 'joining',
        ...(link.refused && { refusal: JOIN_REFUSED[link.refused] }),
        // Websetup is a peer of the overlay: it answers, or not, as any peer does.
        reach: peers.find((p) => p.address === link.address)?.reach ?? 'offline',
        lastContact: link.lastInitResponse ? new Date(link.lastInitResponse).toISOString() : null,
        managed: {
          addresses: link.pushedAddresses?.length ?? 0,
          hostnames: link.pushedHosts?.length ?? 0,
        },
      },
    ];
  }

  server(): ServerInUse | null {
    const server = this.opened?.file.value.server;
    if (!server) return null;
    const { url, fingerprint, dashboardUrl, websetupHost } = server;
    return { url, fingerprint, dashboardUrl: dashboardUrl || null, websetup: websetupHost };
  }

  async setupServer(typed: string, fingerprint?: string): Promise<Outcome<SetupServerResult>> {
    const ready = await this.ready;
    if (!ready.ok) return ready;
    const address = parseServerAddress(typed);
    if (!address.ok) return failure('BadParams', address.error);
    const fetched = await fetchServerLicense(address.value, this.options.httpGet);
    if (!fetched.ok) return fetched;
    const { license, url } = fetched.value;
    const answer = {
      url,
      name: license.name,
      fingerprint: fetched.value.fingerprint,
      baseServers: license.base_server_addresses,
    };
    if (fingerprint === undefined) return success({ switched: false, ...answer });
    if (!isConfirmed(fingerprint, answer.fingerprint))
      return failure(
        'NotPermitted',
        `The server at ${url} signs with the key ${answer.fingerprint}, not the one you confirmed. Nothing was changed. Check the fingerprint with the server's owner: another key can mean this is not their server.`,
      );
    const saved = await ready.value.file.update((state) =>
      success({
        next: {
          ...state,
          server: {
            url,
            fingerprint: answer.fingerprint,
            baseServers: license.base_server_addresses,
            websetupHost: license.websetup_host,
            dashboardUrl: license.dashboard_url,
          },
        },
        answer: undefined,
      }),
    );
    if (!saved.ok) return saved;
    const switched = await this.c.useBaseServers(license.base_server_addresses);
    if (!switched.ok) return switched;
    this.c.log.info('server-set-up', { url, baseServers: license.base_server_addresses.join(',') });
    return success({ switched: true, ...answer });
  }

  async join(code: string, hostname: string): Promise<Outcome<JoinResult>> {
    const ready = await this.ready;
    if (!ready.ok) return ready;
    const parsed = parseJoinCode(code);
    if (!parsed.ok) return failure('BadParams', parsed.error.message);
    const websetup = formatAddress(parsed.value.websetup);
    const { client, file } = ready.value;
    client.prepareJoin(parsed.value.websetup);
    // Websetup talks to us through the overlay, so it has to be let in first; if the user had not
    // let it in already, it is websetup's entry and leaving takes it back.
    const ours = !this.c.whitelist.state.addresses.includes(websetup);
    const allowed = await this.c.whitelist.add(websetup);
    if (!allowed.ok) {
      client.followLink();
      return allowed;
    }
    // A device has one websetup: a new join replaces the link, and what the old one put here
    // stays on record so leaving still removes it.
    const previous = file.value.websetup;
    const pushedAddresses = [...(previous?.pushedAddresses ?? [])];
    if (ours && !pushedAddresses.includes(websetup)) pushedAddresses.push(websetup);
    const started = await client.startJoin({
      address: websetup,
      secret: generateWebsetupSecret(),
      hostname,
      pendingCode: parsed.value.code,
      pushedAddresses,
      pushedHosts: previous?.pushedHosts ?? [],
    });
    if (!started.ok) return started;
    const waitMs = this.options.joinWaitMs ?? JOIN_WAIT_MS;
    const answer = await client.joined(waitMs);
    const link = file.value.websetup;
    if (answer === 'refused' && link?.refused)
      return failure(
        'NotFound',
        `${JOIN_REFUSED[link.refused]}: websetup ${websetup} does not take it, and this device stopped asking. Copy the code again from the dashboard, or create a new one there`,
      );
    if (answer !== 'joined' || !link)
      return failure(
        'Timeout',
        `websetup ${websetup} did not answer within ${waitMs / 1000} s; this device keeps asking every 5 s. Check that it reaches its base server ("hnet status") and that the code is still valid in the dashboard ("hnet leave" stops asking)`,
      );
    return success({ websetup, hostname: link.hostname, requested: hostname, networks: link.networks ?? [] });
  }

  async leave(websetup?: string): Promise<Outcome<LeaveResult>> {
    const ready = await this.ready;
    if (!ready.ok) return ready;
    const current = ready.value.file.value.websetup;
    if (!current)
      return failure('NotFound', 'this device has not joined a network, so there is nothing to leave');
    if (websetup !== undefined && websetup !== current.address)
      return failure(
        'NotFound',
        `this device's network is managed by ${current.address}, not by ${websetup}`,
      );
    // Forgotten first, so websetup's commands are refused from now on and cannot race the clean-up.
    const forgotten = await ready.value.file.update(({ websetup: link, ...rest }) =>
      link ? success({ next: rest, answer: link }) : failure('NotFound', 'this device has already left'),
    );
    if (!forgotten.ok) return forgotten;
    const removed = await this.removePushed(forgotten.value);
    this.c.log.info('websetup-left', {
      websetup: forgotten.value.address,
      addresses: removed.addresses.length,
      hostnames: removed.hostnames.length,
    });
    return success({ websetup: forgotten.value.address, removed });
  }

  /** Takes back what websetup put here; what the user changed since (removed, renamed) is left. */
  private async removePushed(link: WebsetupLink): Promise<LeaveResult['removed']> {
    const removed: LeaveResult['removed'] = { addresses: [], hostnames: [] };
    for (const address of link.pushedAddresses ?? [])
      if ((await this.c.whitelist.remove(address)).ok) removed.addresses.push(address);
    for (const pushed of link.pushedHosts ?? []) {
      const name = pushed.hostname.toLowerCase();
      const entry = this.c.hosts.entries.find((e) => e.hostname.toLowerCase() === name);
      if (entry?.address === pushed.address && (await this.c.hosts.remove(entry.hostname)).ok)
        removed.hostnames.push(entry.hostname);
    }
    return removed;
  }
}

export function createEnrolment(
  options: EnrolmentOptions = {},
): (components: EnrolmentComponents) => EngineEnrolment {
  return (components) => new EngineEnrolment(components, options);
}
