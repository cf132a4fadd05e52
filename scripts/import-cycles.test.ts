// No import cycle among our source files, type-only imports included (issue 19). A cycle means a
// contract type lives inside an implementation: the fix is to give the contract a small file both
// sides import, never to import across the circle. Tests are left out (they may import anything
// they test); every other .ts/.tsx file under the source roots counts. Imports are read with
// TypeScript's own pre-processor, so `import type`, `export … from` and `import()` all count, and
// relative specifiers resolve the way NodeNext does here (`./x.js` is `x.ts` or `x.tsx`).
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const repo = resolve(import.meta.dirname, '..');
const SOURCE_ROOTS = [
  'src-protocol',
  'src-shared',
  'src-main',
  'src-helper',
  'src-server',
  'src-renderer/src',
  'scripts',
];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build']);
const isSource = (name: string) =>
  /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIPPED_DIRS.has(name) ? [] : sourceFiles(path);
    return isSource(name) ? [path] : [];
  });
}

/** The source file a relative specifier names, if it is one of ours (not .json, .mjs, .css…). */
function resolveImport(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '');
  return [base, `${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find((path) =>
    known.has(path),
  );
}

/** Each file and the files of ours it imports. */
function importGraph(root: string, roots: readonly string[]): Map<string, string[]> {
  const files = roots.flatMap((dir) => sourceFiles(join(root, dir)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .flatMap((specifier) => resolveImport(file, specifier, known) ?? []);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components of more than one file, or of one file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** One paragraph per cycle: its files, then the imports that close it. */
function describeCycle(root: string, graph: ReadonlyMap<string, readonly string[]>, cycle: string[]): string {
  const name = (file: string) => relative(root, file);
  const members = new Set(cycle);
  const edges = cycle.flatMap((file) =>
    (graph.get(file) ?? [])
      .filter((next) => members.has(next))
      .map((next) => `    ${name(file)} → ${name(next)}`),
  );
  return [`  ${cycle.map(name).join(', ')}`, ...edges].join('\n');
}

test('the checker finds a cycle closed only by type imports, re-exports or import()', () => {
  const root = mkdtempSync(join(tmpdir(), 'hnet-cycles-'));
  try {
    const files: Record<string, string> = {
      'a/contract.ts': "import type { Impl } from './impl.js';\nexport type Handle = Impl;\n",
      'a/impl.ts': "export type { Handle } from './contract.js';\nexport interface Impl { n: number }\n",
      'a/user.ts': "import type { Handle } from './contract.js';\nexport const x = (h: Handle) => h;\n",
      'a/user.test.ts': "import { x } from './user.js';\nexport { x };\n",
      'a/self.tsx': "export const y = () => import('./self.js');\n",
    };
    for (const [path, text] of Object.entries(files)) {
      const full = join(root, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    const graph = importGraph(root, ['a']);
    assert.equal(graph.size, 4, 'test files are not part of the graph');
    assert.deepEqual(
      cycles(graph).map((cycle) => cycle.map((file) => relative(root, file))),
      [['a/contract.ts', 'a/impl.ts'], ['a/self.tsx']],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no import cycle among the source files, type-only imports included', () => {
  const graph = importGraph(repo, SOURCE_ROOTS);
  const imports = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
  // A scan that read nothing would pass vacuously: the tree has hundreds of files and imports.
  assert.ok(graph.size > 200 && imports > 500, `read ${graph.size} files with ${imports} imports`);
  const found = cycles(graph);
  assert.equal(
    found.length,
    0,
    `${found.length} import cycle(s); move the shared contract into a file both sides import:\n` +
      found.map((cycle) => describeCycle(repo, graph, cycle)).join('\n'),
  );
});
