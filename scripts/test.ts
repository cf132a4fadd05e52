// The whole suite: format, lint, types, native build, unit tests, then network tests.
// Usage: npm test [-- unit|e2e|checks] [substring filters…]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const stage = ['unit', 'e2e', 'checks'].includes(args[0] ?? '') ? args.shift() : 'all';
const filters = args;

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}
const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps: string[] = [];

function findTests(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts') || name.endsWith('.test.tsx')) out.push(path);
  }
  return out;
}

function run(cmd: string, argv: string[], onLine?: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    });
    child.on('close', (code) => {
      if (pending) onLine?.(pending);
      resolve(code ?? 1);
    });
  });
}

async function step(name: string, cmd: string, argv: string[]): Promise<void> {
  console.log(`\n== ${name}`);
  const code = await run(cmd, argv);
  if (code !== 0) failedSteps.push(name);
}

async function testFiles(name: string, files: string[], concurrency: number): Promise<void> {
  const chosen = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
  console.log(`\n== ${name}: ${chosen.length} files`);
  if (chosen.length === 0) return;
  const counts: Totals = { passed: 0, failed: 0, skipped: 0 };
  const code = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      `--test-concurrency=${concurrency}`,
      ...chosen.map((f) => relative(root, f)),
    ],
    (line) => {
      const m = /^ℹ (pass|fail|skipped|todo) (\d+)/.exec(line.trim());
      if (!m) return;
      const n = Number(m[2]);
      if (m[1] === 'pass') counts.passed += n;
      else if (m[1] === 'fail') counts.failed += n;
      else counts.skipped += n;
    },
  );
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  if (code !== 0) failedSteps.push(name);
}

// `*.lab.test.ts` beside the code they test need root and namespaces: they run with the network tests.
const isLabTest = (file: string) => file.endsWith('.lab.test.ts');
const sourceDirs = [
  'src-protocol',
  'src-shared',
  'src-main',
  'src-helper',
  'src-server',
  'src-renderer',
  'scripts',
  'bench',
];
const unitTests = () => sourceDirs.flatMap((d) => findTests(join(root, d))).filter((f) => !isLabTest(f));
const labTestsOutsideE2e = () => sourceDirs.flatMap((d) => findTests(join(root, d))).filter(isLabTest);

const bin = (tool: string) => join(root, 'node_modules', '.bin', tool);

if (stage === 'all' || stage === 'checks') {
  await step('format', bin('prettier'), ['--check', '.']);
  await step('lint', bin('eslint'), ['--max-warnings', '0', '.']);
  await step('types', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
}
if (stage === 'all' || stage === 'unit' || stage === 'e2e') {
  await step('native build', process.execPath, ['--import', 'tsx', 'scripts/build-native.ts']);
}
if (stage === 'all' || stage === 'unit') {
  await testFiles('unit tests', unitTests(), 2);
}
if (stage === 'all' || stage === 'e2e') {
  // Network scenarios build namespaces and measure gaps in time: one file at a time keeps them honest.
  await testFiles('network and UI tests', [...findTests(join(root, 'e2e')), ...labTestsOutsideE2e()], 1);
}

console.log('');
if (failedSteps.length > 0) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length > 0 ? 1 : 0);
