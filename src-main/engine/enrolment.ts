// Enrolling this device with an hnet server: `setupServer` trusts a server's license (checked
// against the key fingerprint the user confirmed) and switches to its base servers; `join` hands a
// join code to the server's websetup node, which from then on manages the whitelist, the host table
// and the device's name (websetup-client.ts).
import { formatAddress } from '../../src-protocol/address.js';
import {
  generateWebsetupSecret,
  parseJoinCode,
  WEBSETUP_NODE_PORT,
} from '../../src-protocol/websetup-messages.js';
import { join as joinPath } from 'node:path';
import { kernelUdp } from './datagram-socket.js';
import type { Enrolment, JoinResult, SetupServerResult } from './engine.js';
import {
  ENROLMENT_FILE,
  enrolmentSchema,
  type EnrolmentComponents,
  type EnrolmentFile,
} from './enrolment-state.js';
import { failure, success, type Outcome } from './errors.js';
import { PersistedJson } from './persisted-json.js';
import { fetchTrustedLicense, type Fetch } from './server-license.js';
import { WebsetupClient, type WebsetupClientOptions } from './websetup-client.js';

/** How long `join` waits for websetup before telling the user it keeps trying in the background. */
const JOIN_WAIT_MS = 30_000;

export interface EnrolmentOptions extends Partial<WebsetupClientOptions> {
  fetch?: Fetch;
  joinWaitMs?: number;
}

export class EngineEnrolment implements Enrolment {
  private readonly ready: Promise<Outcome<{ file: EnrolmentFile; client: WebsetupClient }>>;

  constructor(
    private readonly c: EnrolmentComponents,
    private readonly options: EnrolmentOptions = {},
  ) {
    this.ready = this.open();
  }

  private async open(): Promise<Outcome<{ file: EnrolmentFile; client: WebsetupClient }>> {
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
      openSocket: this.options.openSocket ?? ((own) => kernelUdp(own, WEBSETUP_NODE_PORT)),
      ...(this.options.websetupPort === undefined ? {} : { websetupPort: this.options.websetupPort }),
      ...(this.options.retryMs === undefined ? {} : { retryMs: this.options.retryMs }),
    });
    client.start();
    return success({ file: file.value, client });
  }

  async stop(): Promise<void> {
    const ready = await this.ready;
    if (ready.ok) await ready.value.client.stop();
  }

  /** Without `fingerprint`, nothing changes and the answer tells the user which key to check. */
  async setupServer(url: string, fingerprint?: string): Promise<Outcome<SetupServerResult>> {
    const ready = await this.ready;
    if (!ready.ok) return ready;
    const trusted = await fetchTrustedLicense(url, fingerprint, this.options.fetch);
    if (!trusted.ok) return trusted;
    const { license } = trusted.value;
    const saved = await ready.value.file.update((state) => ({
      ok: true,
      value: {
        next: {
          ...state,
          server: {
            url,
            fingerprint: trusted.value.fingerprint,
            baseServers: license.base_server_addresses,
            websetupHost: license.websetup_host,
            dashboardUrl: license.dashboard_url,
          },
        },
        answer: undefined,
      },
    }));
    if (!saved.ok) return saved;
    const switched = await this.c.useBaseServers(license.base_server_addresses);
    if (!switched.ok) return switched;
    this.c.log.info('server-set-up', { url, baseServers: license.base_server_addresses.join(',') });
    return success({ baseServers: license.base_server_addresses });
  }

  async join(code: string, hostname: string): Promise<Outcome<JoinResult>> {
    const ready = await this.ready;
    if (!ready.ok) return ready;
    const parsed = parseJoinCode(code);
    if (!parsed.ok) return failure('BadParams', parsed.error.message);
    const websetup = formatAddress(parsed.value.websetup);
    // Websetup talks to us through the overlay, so it has to be let in first.
    const allowed = await this.c.whitelist.add(websetup);
    if (!allowed.ok) return allowed;
    const { client } = ready.value;
    const started = await client.startJoin({
      address: websetup,
      secret: generateWebsetupSecret(),
      hostname,
      pendingCode: parsed.value.code,
    });
    if (!started.ok) return started;
    const waitMs = this.options.joinWaitMs ?? JOIN_WAIT_MS;
    if (!(await client.joined(waitMs)))
      return failure(
        'Timeout',
        `websetup ${websetup} did not answer within ${waitMs / 1000} s; this device keeps asking every 5 s. Check that it reaches its base server ("hnet status") and that the code is still valid in the dashboard`,
      );
    return success({ websetup, hostname });
  }
}

export function createEnrolment(
  options: EnrolmentOptions = {},
): (components: EnrolmentComponents) => EngineEnrolment {
  return (components) => new EngineEnrolment(components, options);
}
