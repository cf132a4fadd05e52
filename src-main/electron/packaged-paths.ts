// Imported first by main.ts, for its side effect: in a packaged app the native addon sits beside
// the app, not inside its asar archive (dlopen cannot read one), and native.ts reads this variable
// when it is first loaded, so it must be set before any engine module is evaluated.
import { app } from 'electron';
import { join } from 'node:path';

if (app.isPackaged)
  process.env['HNET_NATIVE_ADDON'] ??= join(process.resourcesPath, 'daemons', 'hnet_native.node');
