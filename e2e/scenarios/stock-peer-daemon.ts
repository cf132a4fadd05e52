// A peer that speaks Husarnet 2.x exactly as a stock daemon does: hnet's engine with its
// protocol extensions switched off (flags 3, STOCK_FLAGS: no replay window, no rekeying), run the
// way hnetd runs it so `hnet` can drive it. Environment and sockets as for hnetd.
import { loadConfig } from '../../src-main/engine/state/config.js';
import { serveControlApi } from '../../src-main/engine/control/control-api.js';
import { createDataPlane, tunThroughHelper } from '../../src-main/engine/data-plane.js';
import { Engine } from '../../src-main/engine/engine.js';
import { HelperClient } from '../../src-helper/api/helper-client.js';
import { createLogger } from '../../src-main/engine/log.js';
import { STOCK_FLAGS } from '../../src-protocol/security/flags.js';

const loaded = await loadConfig({ env: process.env });
if (!loaded.ok) throw new Error(loaded.error.message);
// Stock Husarnet asks no router for a port mapping, and reads and writes its TUN device one
// packet at a time.
const config = { ...loaded.value, portMapping: 'off' as const, offloads: 'off' as const };
const log = createLogger(config.logLevel);
const helper = new HelperClient(config.helperSocket);
const engine = await Engine.start({
  config,
  log,
  writeHosts: (entries) => helper.writeHosts(entries),
  dataPlane: createDataPlane({ openTun: tunThroughHelper(helper, log), flags: STOCK_FLAGS }),
});
if (!engine.ok) throw new Error(engine.error.message);
const server = await serveControlApi(engine.value, { socketPath: config.controlSocket, log });
if (!server.ok) throw new Error(server.error.message);
log.info('ready', { address: engine.value.address, flags: String(STOCK_FLAGS) });
process.on('SIGTERM', () => {
  void server.value
    .close()
    .then(() => engine.value.stop())
    .then(() => process.exit(0));
});
