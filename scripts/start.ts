// `npm start`: the desktop app where Electron's binary exists, otherwise the same UI served by
// the engine on localhost.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function electronBinary(): string | undefined {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

const shellEntry = join(root, 'dist', 'src-main', 'electron', 'main.js');
const browserEntry = join(root, 'src-main', 'cli', 'hnetd.ts');
const electron = electronBinary();

if (electron && existsSync(shellEntry)) {
  const child = spawn(electron, [shellEntry, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    electron
      ? 'hnet: the desktop shell is not built (src-main/electron), so the UI is served in your browser instead'
      : 'hnet: Electron binary not installed (offline install), so the UI is served in your browser instead',
  );
  if (!existsSync(browserEntry)) {
    console.error('hnet: cannot start: the engine (src-main/engine, hnetd) is not part of this build yet');
    process.exit(1);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', browserEntry, '--ui', ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
}
