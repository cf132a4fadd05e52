// The import graph keeps the architecture (issue 19, DESIGN.md §2): no import cycle, type-only
// imports included, and imports run only the allowed ways — protocol ← shared ← contract ← engine ←
// hosts; the renderer sees only the contract; the helper imports no engine, server or UI code and
// shares with its callers only src-helper/api/; outside the engine only its two entry files are
// imported; nothing but tests imports e2e/. A cycle means a contract type lives inside an
// implementation: the fix is a small file both sides import, never an import across the circle.
// Tests are left out (they may import anything they test); every other .ts/.tsx file under the
// source roots counts, test helpers included. Imports are read with TypeScript's own pre-processor,
// so `import type`, `export … from` and `import()` all count, and relative specifiers resolve the way
// NodeNext does here (`./x.js` is `x.ts` or `x.tsx`).
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

/** Runs `check` on a throwaway tree holding `files` (path → text), removed afterwards. */
function inTree(files: Record<string, string>, check: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'hnet-imports-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      const full = join(root, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    check(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the checker finds a cycle closed only by type imports, re-exports or import()', () => {
  const files: Record<string, string> = {
    'a/contract.ts': "import type { Impl } from './impl.js';\nexport type Handle = Impl;\n",
    'a/impl.ts': "export type { Handle } from './contract.js';\nexport interface Impl { n: number }\n",
    'a/user.ts': "import type { Handle } from './contract.js';\nexport const x = (h: Handle) => h;\n",
    'a/user.test.ts': "import { x } from './user.js';\nexport { x };\n",
    'a/self.tsx': "export const y = () => import('./self.js');\n",
  };
  inTree(files, (root) => {
    const graph = importGraph(root, ['a']);
    assert.equal(graph.size, 4, 'test files are not part of the graph');
    assert.deepEqual(
      cycles(graph).map((cycle) => cycle.map((file) => relative(root, file))),
      [['a/contract.ts', 'a/impl.ts'], ['a/self.tsx']],
    );
  });
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

const ENGINE_ENTRIES = ['src-main/engine/index.ts', 'src-main/engine/client.ts'];
const BELOW_THE_ENGINE = ['src-main/contract/', 'src-helper/api/', 'src-shared/', 'src-protocol/'];
const ENGINE_WINGS = ['io', 'state', 'paths', 'packets', 'membership', 'control'].map(
  (w) => `src-main/engine/${w}/`,
);
const ENGINE_UTILITIES = ['src-main/engine/log.ts', 'src-main/engine/drops.ts', 'src-main/engine/version.ts'];
/**
 * Who may import what, by folder (the longest matching prefix wins); a file may always import
 * files of its own folder's rule. Entries ending in `/` are folders, others single files.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'src-protocol/': [],
  'src-shared/': [],
  'src-main/contract/': ['src-shared/', 'src-protocol/'],
  'src-helper/': ['src-helper/api/', 'src-shared/', 'src-protocol/'],
  'src-helper/api/': ['src-shared/', 'src-protocol/'],
  // The data-plane addon is found the way the helper's is.
  'src-main/native/': ['src-helper/api/', 'src-protocol/'],
  // The engine's root composes its wings; the wings are layered io ← paths ← packets, with state,
  // membership and control beside them, and all may use the root's log, drop counter and version.
  'src-main/engine/': [...ENGINE_WINGS, ...ENGINE_UTILITIES, 'src-main/native/', ...BELOW_THE_ENGINE],
  'src-main/engine/log.ts': [],
  'src-main/engine/drops.ts': [],
  'src-main/engine/version.ts': [],
  'src-main/engine/io/': [...ENGINE_UTILITIES, 'src-main/native/', ...BELOW_THE_ENGINE],
  'src-main/engine/state/': [...ENGINE_UTILITIES, ...BELOW_THE_ENGINE],
  'src-main/engine/paths/': ['src-main/engine/io/', ...ENGINE_UTILITIES, ...BELOW_THE_ENGINE],
  'src-main/engine/packets/': [
    'src-main/engine/io/',
    'src-main/engine/paths/',
    ...ENGINE_UTILITIES,
    'src-main/native/',
    ...BELOW_THE_ENGINE,
  ],
  'src-main/engine/membership/': [
    'src-main/engine/state/',
    'src-main/engine/packets/',
    ...ENGINE_UTILITIES,
    ...BELOW_THE_ENGINE,
  ],
  // The control API serves the Engine itself.
  'src-main/engine/control/': ['src-main/engine/engine.ts', ...ENGINE_UTILITIES, ...BELOW_THE_ENGINE],
  // The in-process test network runs the engine's own parts against the server's real ones.
  'src-main/testnet/': ['src-main/engine/', 'src-main/native/', 'src-server/', ...BELOW_THE_ENGINE],
  'src-main/ui-host/': [...ENGINE_ENTRIES, ...BELOW_THE_ENGINE],
  'src-main/electron/': ['src-main/ui-host/', ...ENGINE_ENTRIES, ...BELOW_THE_ENGINE],
  'src-main/ui-server/': ['src-main/ui-host/', ...ENGINE_ENTRIES, ...BELOW_THE_ENGINE],
  // hnetd serves browser mode itself.
  'src-main/cli/': ['src-main/ui-server/', ...ENGINE_ENTRIES, ...BELOW_THE_ENGINE],
  'src-server/': [...ENGINE_ENTRIES, 'src-main/contract/', 'src-shared/', 'src-protocol/'],
  'src-renderer/src/': ['src-main/contract/'],
  'scripts/': ['src-shared/', 'src-protocol/', 'src-main/', 'src-helper/', 'src-server/'],
};

/** Each import that breaks ALLOWED, as "importer → imported (what importer may import)". */
function boundaryViolations(root: string, graph: ReadonlyMap<string, readonly string[]>): string[] {
  const rules = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = relative(root, file);
    const rule = rules.find((prefix) => from.startsWith(prefix));
    if (rule === undefined) {
      found.push(`${from}: in no folder of the layout`);
      continue;
    }
    const allowed = [rule, ...ALLOWED[rule]!];
    for (const target of targets) {
      const to = relative(root, target);
      const ok = allowed.some((entry) => (entry.endsWith('/') ? to.startsWith(entry) : to === entry));
      // A folder's own rule does not cover a more specific folder with a rule of its own, except
      // for the engine, whose wings all belong to it.
      const ownRule = rules.find((prefix) => to.startsWith(prefix));
      const intoNarrower =
        ownRule !== undefined &&
        ownRule !== rule &&
        ownRule.startsWith(rule) &&
        !ALLOWED[rule]!.includes(ownRule);
      if (!ok || intoNarrower) found.push(`${from} → ${to} (may import ${allowed.join(', ')})`);
    }
  }
  return found.sort();
}

/** The violations in the tree at `root`: e2e/ is read too, so an import of it is seen, but e2e's own files are free. */
function violationsIn(root: string): string[] {
  const graph = importGraph(root, [...SOURCE_ROOTS, 'e2e']);
  return boundaryViolations(
    root,
    new Map([...graph].filter(([file]) => !relative(root, file).startsWith('e2e/'))),
  );
}

test('the boundary check names an import against the layout', () => {
  const files: Record<string, string> = {
    'src-protocol/codec.ts': "import { log } from '../src-main/engine/log.js';\nexport const c = log;\n",
    'src-main/engine/log.ts': 'export const log = 1;\n',
    'src-main/engine/io/udp.ts': "import { p } from '../paths/peer.js';\nexport const u = p;\n",
    'src-main/engine/paths/peer.ts': "import { log } from '../log.js';\nexport const p = log;\n",
    'src-main/cli/hnet.ts': "import { p } from '../engine/paths/peer.js';\nexport const h = p;\n",
    'src-main/cli/ok.ts': "import { E } from '../engine/index.js';\nexport const o = E;\n",
    'src-main/engine/index.ts': 'export const E = 1;\n',
    'src-renderer/src/view.ts':
      "import type { S } from '../../src-main/engine/status.js';\nexport type V = S;\n",
    'src-main/engine/status.ts': 'export type S = 1;\n',
    'src-server/base/relay.ts': "import { x } from '../../e2e/lab/x.js';\nexport const r = x;\n",
    'src-server/base/relay.test.ts':
      "import { p } from '../../src-main/engine/paths/peer.js';\nexport { p };\n",
    'e2e/lab/x.ts': "import { p } from '../../src-main/engine/paths/peer.js';\nexport const x = p;\n",
  };
  inTree(files, (root) => {
    assert.deepEqual(
      violationsIn(root).map((line) => line.split(' (')[0]),
      [
        'src-main/cli/hnet.ts → src-main/engine/paths/peer.ts',
        'src-main/engine/io/udp.ts → src-main/engine/paths/peer.ts',
        'src-protocol/codec.ts → src-main/engine/log.ts',
        'src-renderer/src/view.ts → src-main/engine/status.ts',
        'src-server/base/relay.ts → e2e/lab/x.ts',
      ],
    );
  });
});

test('imports run only the ways the layout allows', () => {
  const found = violationsIn(repo);
  assert.equal(found.length, 0, `${found.length} import(s) against DESIGN.md §2:\n  ${found.join('\n  ')}`);
});
