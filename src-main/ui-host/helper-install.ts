// The one-time helper installation offered when the root helper is missing. The bundle comes
// with the app (resources/helper in a package, dist/helper-bundle in a development build);
// src-helper/api/install.ts verifies it and asks for the admin password once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installHelper, MANIFEST_NAME } from '../../src-helper/api/install.js';
import { errorText } from '../contract/errors.js';
import { findAppFile } from './app-files.js';
import type { BridgeOutcome } from '../contract/ui-bridge.js';

/** `resourcesDir`: a packaged app's resources folder (process.resourcesPath). */
export function findHelperBundle(resourcesDir?: string): string | undefined {
  const candidates = [resourcesDir && join(resourcesDir, 'helper'), findAppFile('dist/helper-bundle')];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(join(dir, MANIFEST_NAME)));
}

/** An installer for the shell handlers, or undefined when this build carries no helper bundle. */
export function helperInstaller(
  bundleDir: string | undefined,
): (() => Promise<BridgeOutcome<void>>) | undefined {
  if (!bundleDir) return undefined;
  return async () => {
    try {
      await installHelper(bundleDir);
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, error: { kind: 'InstallFailed', message: errorText(error) } };
    }
  };
}
