// Files the shell ships beside its code (the built UI, icons). The same code runs from the sources
// (src-main/ui-host), from the build (dist/src-main/ui-host, one folder deeper) and bundled into
// a package's resources (resources/daemons/hnetd.mjs, one folder up).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const roots = ['../../', '../../../', '../'].map((relative) =>
  fileURLToPath(new URL(relative, import.meta.url)),
);

/** The absolute path of `relative` (from the repository or package root), if it exists. */
export function findAppFile(relative: string): string | undefined {
  return roots.map((root) => root + relative).find((path) => existsSync(path));
}
