// Imported first by main.ts, for its side effect: in a packaged app our native addons sit beside
// the app, not inside its asar archive (dlopen cannot read one), and their loaders
// (src-helper/api/native.ts, src-main/native/dataplane-addon.ts) read these variables when they are
// first loaded, so they must be set before any engine module is evaluated.
import { app } from 'electron';
import { join } from 'node:path';

if (app.isPackaged) {
  process.env['HNET_NATIVE_ADDON'] ??= join(process.resourcesPath, 'daemons', 'hnet_helper.node');
  process.env['HNET_DATAPLANE_ADDON'] ??= join(process.resourcesPath, 'daemons', 'hnet_dataplane.node');
}
