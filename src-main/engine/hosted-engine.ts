// The engine as a machine runs it: real data plane and enrolment, /etc/hosts and hnet0 through the
// root helper, and the control API on its socket. hnetd and the desktop app (when no hnetd runs)
// both start it here, so the two can never be wired differently.
import type { Config } from './state/config.js';
import { serveControlApi, type ControlServer } from './control/control-api.js';
import { createDataPlane, tunThroughHelper } from './data-plane.js';
import { Engine } from './engine.js';
import { createEnrolment } from './membership/enrolment.js';
import { success, type Outcome } from '../contract/errors.js';
import { HelperClient } from '../../src-helper/api/helper-client.js';
import type { Logger } from './log.js';

export interface HostedEngine {
  engine: Engine;
  server: ControlServer;
  /** Closes the control socket, then stops the engine. */
  stop(): Promise<void>;
}

export async function startHostedEngine(config: Config, log: Logger): Promise<Outcome<HostedEngine>> {
  const helper = new HelperClient(config.helperSocket);
  const engine = await Engine.start({
    config,
    log,
    writeHosts: (entries) => helper.writeHosts(entries),
    dataPlane: createDataPlane({ openTun: tunThroughHelper(helper, log) }),
    enrolment: createEnrolment(),
  });
  if (!engine.ok) return engine;
  const server = await serveControlApi(engine.value, { socketPath: config.controlSocket, log });
  if (!server.ok) {
    await engine.value.stop();
    return server;
  }
  return success({
    engine: engine.value,
    server: server.value,
    async stop() {
      await server.value.close();
      await engine.value.stop();
    },
  });
}
