// The websetup node: an overlay device with its own identity (in `<state>/websetup`), registered on
// the base servers like any other, hosting the same Engine and data plane as hnetd. Instead of a TUN
// device its data plane hands packets to OverlayUdp, so websetup needs neither root nor a kernel
// interface. Its whitelist is off: every device that joins must be able to reach it.
import { join } from 'node:path';
import { WEBSETUP_SERVER_PORT } from '../../src-protocol/websetup-messages.js';
import { createDataPlane, Engine, type Logger } from '../../src-main/engine/index.js';
import type { ChangeChannel } from '../store/pg-notifications.js';
import type { Store } from '../store/store.js';
import { OverlayUdp } from './overlay-udp.js';
import { WebsetupServer } from './websetup-server.js';

export interface WebsetupNodeSettings {
  stateDir: string;
  /** Base servers as hnetd takes them: host, host:port or [IPv6]:port. */
  baseServers: string[];
  /** First UDP port to try for the node's peer traffic (the next free one is taken). */
  udpPort: number;
  store: Store;
  /** Tells of changes made by the other processes sharing the database (WebsetupOptions.changes). */
  changes?: ChangeChannel;
  log: Logger;
}

export class WebsetupNode {
  private constructor(
    private readonly engine: Engine,
    readonly server: WebsetupServer,
  ) {}

  get address(): string {
    return this.engine.address;
  }

  static async start(settings: WebsetupNodeSettings): Promise<WebsetupNode> {
    const overlay = new OverlayUdp(WEBSETUP_SERVER_PORT);
    const log = settings.log.with({ node: 'websetup' });
    const dir = join(settings.stateDir, 'websetup');
    const engine = await Engine.start({
      config: {
        stateDir: dir,
        // Websetup serves no control API and needs no root helper; these paths are never opened.
        controlSocket: join(dir, 'control.sock'),
        helperSocket: join(dir, 'helper.sock'),
        baseServers: settings.baseServers,
        udpPort: settings.udpPort,
        hostname: 'websetup',
        dataLane: 'on',
        logLevel: 'info',
      },
      log,
      // Websetup resolves no names, so it keeps no hosts file.
      writeHosts: () => Promise.resolve(),
      dataPlane: createDataPlane({ openTun: overlay.openTun }),
    });
    if (!engine.ok) throw new Error(`the websetup node could not start: ${engine.error.message}`);
    const opened = await engine.value.whitelist.setEnabled(false);
    if (!opened.ok) {
      await engine.value.stop();
      throw new Error(`the websetup node could not open its whitelist: ${opened.error.message}`);
    }
    try {
      const server = await WebsetupServer.start({
        store: settings.store,
        changes: settings.changes,
        open: overlay.open,
        log,
        address: engine.value.identity.address,
      });
      return new WebsetupNode(engine.value, server);
    } catch (error) {
      await engine.value.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.engine.stop();
  }
}
