// For tests: a server and its devices in one process, everything real but the kernel. A base server
// on loopback, the store, the websetup node and the dashboard over HTTP, as `hnet-server` runs them;
// devices are engines with their real data planes, enrolment and websetup client on a fake TUN
// device, and a hosts file that is the last list the engine handed its root helper.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverlayAddress } from '../../src-protocol/address.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { formatJoinCode, generateJoinCode } from '../../src-protocol/websetup-messages.js';
import {
  createDataPlane,
  type OpenTun,
  Engine,
  createEnrolment,
  createLogger,
  type Logger,
} from '../../src-main/engine/index.js';
import type { HostEntry } from '../../src-main/contract/names.js';
import { BaseServer } from '../base/base-server.js';
import { defaultLimits } from '../base/limits.js';
import { DashboardServer } from '../dashboard/dashboard-server.js';
import { LoginLimiter } from '../dashboard/login-limiter.js';
import { newApiToken, newToken } from '../dashboard/sessions.js';
import { issueLicense } from '../license/license-issuer.js';
import { loadOrCreateSigningKey } from '../license/signing-key.js';
import { hashSecret } from '../store/secret-hash.js';
import { Store } from '../store/store.js';
import { WebsetupNode } from './websetup-node.js';

export interface LabDevice {
  name: string;
  engine: Engine;
  address: string;
  /** The managed /etc/hosts lines as the engine last wrote them. */
  hostsFile: readonly HostEntry[];
  /** Every `name address` the host table or the hosts file ever held. */
  everNamed: Set<string>;
}

export interface ApiAnswer {
  status: number;
  body: { error?: { kind: string; message: string } } & Record<string, unknown>;
}

export interface LabAccount {
  id: string;
  /** A REST call with the account's API token. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

/** What a device holds, or should hold: its own name, and its peers by address and by name. */
export interface DeviceView {
  hostname: string;
  whitelist: string[];
  hosts: string[];
}

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The dashboard on a loopback port, as hnet-server runs it beside websetup. */
export async function startDashboard(options: {
  dir: string;
  store: Store;
  websetup: string;
  log: Logger;
  devicesChanged(addresses: string[]): void;
}): Promise<DashboardServer> {
  const key = await loadOrCreateSigningKey(join(options.dir, 'license-key'));
  const facts = {
    name: 'lab',
    fingerprint: key.fingerprint,
    websetupHost: options.websetup,
    baseServers: ['127.0.0.1'],
    dashboardUrl: 'http://127.0.0.1',
  };
  const license = issueLicense({ ...facts, maxDevices: 100 }, key);
  assert.ok(license.ok);
  return DashboardServer.start({
    host: '127.0.0.1',
    port: 0,
    license: license.value,
    log: options.log,
    context: {
      store: options.store,
      limiter: new LoginLimiter(),
      websetup: parseOverlayAddress(options.websetup)!,
      allowSignup: false,
      setupToken: newToken(),
      secureCookies: false,
      facts,
      devicesChanged: options.devicesChanged,
    },
  });
}

/** An account made in the store, with an API token for the dashboard at `port`. */
export async function labAccount(store: Store, port: number, email: string): Promise<LabAccount> {
  const created = await store.createAccount(email, 'not used: the API token signs in');
  assert.ok(created.ok);
  const token = newApiToken();
  await store.createApiToken(created.value.id, 'lab', hashSecret(token));
  return {
    id: created.value.id,
    api: async (method, path, body) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as ApiAnswer['body'] };
    },
  };
}

export class WebsetupLab {
  readonly devices: LabDevice[] = [];

  private constructor(
    private readonly dir: string,
    private readonly base: BaseServer,
    readonly store: Store,
    readonly websetup: WebsetupNode,
    readonly dashboard: DashboardServer,
    private readonly log: Logger,
  ) {}

  static async start(log: Logger = createLogger('error')): Promise<WebsetupLab> {
    await initCrypto();
    const dir = await mkdtemp(join(tmpdir(), 'hnet-websetup-lab-'));
    const base = await BaseServer.start({
      tcp: [{ ip: '127.0.0.1', port: 0 }],
      udp: [{ ip: '127.0.0.1', port: 0 }],
      advertiseIp: undefined,
      metrics: undefined,
      limits: defaultLimits,
    });
    const store = await Store.open(join(dir, 'hnet.sqlite'));
    const websetup = await WebsetupNode.start({
      stateDir: join(dir, 'server'),
      baseServers: [`127.0.0.1:${base.tcpAddresses[0]!.port}`],
      udpPort: 0,
      store,
      log,
    });
    const dashboard = await startDashboard({
      dir,
      store,
      websetup: websetup.address,
      log,
      devicesChanged: (addresses) => websetup.server.devicesChanged(addresses),
    });
    return new WebsetupLab(dir, base, store, websetup, dashboard, log);
  }

  async stop(): Promise<void> {
    for (const device of this.devices) await device.engine.stop();
    await this.dashboard.close();
    await this.websetup.stop();
    await this.store.close();
    await this.base.close();
    // Something can still be landing in a device's folder as the lab stops (seen once in CI: rmdir
    // ENOTEMPTY on a device folder); rm tries again rather than fail the run in its teardown.
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }

  account(email: string): Promise<LabAccount> {
    return labAccount(this.store, this.dashboard.port, email);
  }

  /** A device named `name`, running but not joined. */
  async device(name: string): Promise<LabDevice> {
    const openTun: OpenTun = async () => ({
      name: 'fake0',
      write: () => true,
      close: async () => undefined,
    });
    const stateDir = join(this.dir, name);
    const device: LabDevice = { name, engine: undefined!, address: '', hostsFile: [], everNamed: new Set() };
    const note = (entries: readonly HostEntry[]) => {
      for (const e of entries) device.everNamed.add(`${e.hostname} ${e.address}`);
    };
    const started = await Engine.start({
      config: {
        stateDir,
        controlSocket: join(this.dir, `${name}.sock`),
        helperSocket: join(this.dir, 'helper.sock'),
        baseServers: [`127.0.0.1:${this.base.tcpAddresses[0]!.port}`],
        udpPort: 0,
        hostname: name,
        dataLane: 'on',
        logLevel: 'error',
      },
      log: this.log.with({ device: name }),
      writeHosts: async (entries) => {
        device.hostsFile = [...entries];
        note(entries);
      },
      dataPlane: createDataPlane({ openTun }),
      enrolment: createEnrolment({ retryMs: 200, joinWaitMs: 20_000 }),
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    device.engine = started.value;
    device.address = started.value.address;
    started.value.hosts.onChange(note);
    this.devices.push(device);
    return device;
  }

  /** Joins `device` to `account` with a fresh join code, as `hnet join <code>` does. */
  async join(device: LabDevice, account: LabAccount): Promise<void> {
    const code = generateJoinCode();
    await this.store.createJoinCode(account.id, device.name, hashSecret(code));
    const websetup = parseOverlayAddress(this.websetup.address)!;
    const joined = await device.engine.join(formatJoinCode({ websetup, code }), device.name);
    assert.ok(joined.ok, joined.ok ? '' : joined.error.message);
  }

  /** What the dashboard says `device` should hold. */
  async serverView(device: LabDevice): Promise<DeviceView> {
    const contact = await this.store.deviceContact(device.address);
    const peers = await this.store.peersOf(device.address);
    return {
      hostname: contact?.hostname ?? '',
      whitelist: peers.map((p) => p.address).sort(),
      hosts: peers.map((p) => `${p.hostname} ${p.address}`).sort(),
    };
  }

  /** What `device` holds: its name, whitelist (websetup aside) and host table. */
  deviceView(device: LabDevice): DeviceView {
    const { engine } = device;
    return {
      hostname: engine.config.hostname,
      whitelist: engine.whitelist.state.addresses.filter((a) => a !== this.websetup.address).sort(),
      hosts: engine.hosts.entries.map((e) => `${e.hostname} ${e.address}`).sort(),
    };
  }
}
