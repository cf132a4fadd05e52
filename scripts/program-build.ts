// Which build of hnet's programs to run, and the command line for each: the compiled one in dist/
// (what `npm run build` leaves, what users run) whenever it is current, that is every source it
// compiles is older than its output; else the sources through tsx, so nothing ever runs code older
// than the sources beside it. `npm start` (run-supervised.ts), the lab (e2e/scenarios/hnet-node.ts)
// and the overlay benchmark choose the same way.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** hnet's own programs, as a machine runs them. */
export type Program = 'helper' | 'hnetd' | 'hnet';

const programSources: Readonly<Record<Program, string>> = {
  helper: 'src-helper/main.ts',
  hnetd: 'src-main/cli/hnetd.ts',
  hnet: 'src-main/cli/hnet.ts',
};

/** Which build of hnet runs, and how to start each program of it. */
export interface NodeBuild {
  /** `compiled`: dist/ as `npm run build` leaves it, what users run; `sources`: the .ts files through tsx. */
  readonly kind: 'compiled' | 'sources';
  /** Why this build, in words. */
  readonly reason: string;
  /** The command line that runs `program` with `args`, from `code` (default: relative, run from the checkout). */
  argv(program: Program, args: readonly string[], code?: string): string[];
}

export const tsxArgv = (script: string, args: readonly string[]): string[] => [
  process.execPath,
  '--import',
  'tsx',
  script,
  ...args,
];

const compiledPath = (source: string): string => join('dist', source.replace(/\.tsx?$/, '.js'));

/** The files tsconfig.build.json compiles: .ts under its include folders, tests left out. */
function compiledSources(): string[] {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
    include: string[];
  };
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return ['build', 'node_modules'].includes(entry.name) ? [] : walk(path);
      const compiled = /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts');
      const test = /\.test\.tsx?$/.test(entry.name) || entry.name.startsWith('test-');
      return compiled && !test ? [path] : [];
    });
  return config.include.flatMap((pattern) => walk(pattern.replace(/\/\*\*\/\*$/, '')));
}

/** The first source whose compiled output is missing or older, or undefined when dist/ is current. */
function staleSource(): string | undefined {
  return compiledSources().find((source) => {
    const output = statSync(join(root, compiledPath(source)), { throwIfNoEntry: false });
    return !output || output.mtimeMs < statSync(join(root, source)).mtimeMs;
  });
}

let chosen: NodeBuild | undefined;

/**
 * Compiled when dist/ is current, else the sources (looked at once per process).
 * HNET_LAB_BUILD=sources runs the sources regardless, to tell a build problem from a code problem.
 */
export function currentBuild(): NodeBuild {
  chosen ??=
    process.env['HNET_LAB_BUILD'] === 'sources' ? sourcesBuild('HNET_LAB_BUILD=sources') : chooseBuild();
  return chosen;
}

function chooseBuild(): NodeBuild {
  const stale = staleSource();
  if (stale === undefined)
    return {
      kind: 'compiled',
      reason: 'dist/ is current: every source it compiles is older than its output',
      argv: (program, args, code = '') => [
        process.execPath,
        join(code, compiledPath(programSources[program])),
        ...args,
      ],
    };
  return sourcesBuild(`dist/ is missing or older than ${stale} (npm run build:ts brings it up to date)`);
}

/** The sources through tsx, whether or not dist/ is current. */
export function sourcesBuild(reason: string): NodeBuild {
  return {
    kind: 'sources',
    reason,
    argv: (program, args, code = '') => tsxArgv(join(code, programSources[program]), args),
  };
}
