// Before `npm ci`: does this Node satisfy what hnet and every package it installs declare in
// "engines"? npm only warns (EBADENGINE, buried among its output) and goes on to a build that fails
// later or oddly, so quickstart asks here first and stops with one sentence. Packages only the
// desktop packaging uses (`npm run dist`) are named in a note instead: running hnet does not need them.
// Plain JavaScript with no dependencies: it runs before anything is installed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Roots of what only `npm run dist` and the Electron shell use. */
const PACKAGING = new Set(['electron', 'electron-builder', 'app-builder-lib', 'builder-util']);

/** [major, minor, patch] of "20", "20.19", "v20.19.1", "20.x"; missing parts are 0. */
function version(text) {
  const parts = text.replace(/^[v=]/, '').split('.');
  return [0, 1, 2].map((i) => (/^\d+$/.test(parts[i] ?? '') ? Number(parts[i]) : 0));
}

function compare(a, b) {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Given parts of a partial version ("20", "20.19", "20.x"), how many were given. */
const precision = (text) =>
  text
    .replace(/^[v=]/, '')
    .split('.')
    .filter((p) => /^\d+$/.test(p)).length;

/** Whether `have` satisfies one comparator: >=1.2, <3, ^20.19.0, ~1.2, 20, 20.x, *. */
function satisfiesOne(have, comparator) {
  const match = /^(>=|<=|>|<|\^|~|=)?\s*(.*)$/.exec(comparator);
  const [, op = '', rest] = match;
  if (rest === '' || rest === '*' || /^x$/i.test(rest)) return true;
  const want = version(rest);
  const given = precision(rest);
  const upper = (bump) => {
    const next = [...want];
    next[bump] += 1;
    for (let i = bump + 1; i < 3; i += 1) next[i] = 0;
    return next;
  };
  switch (op) {
    case '>=':
      return compare(have, want) >= 0;
    case '>':
      return given < 3 ? compare(have, upper(given - 1)) >= 0 : compare(have, want) > 0;
    case '<=':
      return given < 3 ? compare(have, upper(given - 1)) < 0 : compare(have, want) <= 0;
    case '<':
      return compare(have, want) < 0;
    case '^': {
      const bump = want[0] > 0 || given === 1 ? 0 : want[1] > 0 || given === 2 ? 1 : 2;
      return compare(have, want) >= 0 && compare(have, upper(bump)) < 0;
    }
    case '~':
      return compare(have, want) >= 0 && compare(have, upper(given === 1 ? 0 : 1)) < 0;
    default:
      return given === 3
        ? compare(have, want) === 0
        : compare(have, want) >= 0 && compare(have, upper(given - 1)) < 0;
  }
}

/** npm's range grammar as packages use it: "a || b", space-separated comparators, "a - b". */
export function satisfies(have, range) {
  return range.split('||').some((alternative) => {
    const text = alternative.trim().replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1');
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    const comparators = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : text.split(/\s+/);
    return comparators.every((comparator) => satisfiesOne(have, comparator));
  });
}

/** The lockfile key a dependency `name` of the package at `from` resolves to, as Node would look it up. */
function resolve(packages, from, name) {
  let base = from;
  for (;;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const cut = base.lastIndexOf('node_modules/');
    base = cut <= 0 ? '' : base.slice(0, cut - 1);
  }
}

/** Lockfile keys reachable from the root's dependencies, leaving out `skip` and what only they pull in. */
function reachable(packages, skip) {
  const seen = new Set();
  const root = packages[''];
  const stack = Object.keys({ ...root.dependencies, ...root.devDependencies, ...root.optionalDependencies })
    .filter((name) => !skip.has(name))
    .map((name) => resolve(packages, '', name));
  while (stack.length > 0) {
    const key = stack.pop();
    if (key === undefined || seen.has(key) || !installedHere(packages[key])) continue;
    seen.add(key);
    const entry = packages[key];
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
      stack.push(resolve(packages, key, name));
  }
  return seen;
}

// npm skips packages built for the other C library (a "libc" field).
const LIBC =
  process.platform === 'linux'
    ? process.report.getReport().header.glibcVersionRuntime
      ? 'glibc'
      : 'musl'
    : undefined;

/** Whether npm would install this entry here (optional builds for other systems are skipped). */
function installedHere(entry) {
  const fits = (list, value) =>
    !list ||
    list.some((item) => item === value) ||
    list.every((item) => item.startsWith('!') && item !== `!${value}`);
  return (
    fits(entry.os, process.platform) && fits(entry.cpu, process.arch) && (!LIBC || fits(entry.libc, LIBC))
  );
}

const nameOf = (key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

function main() {
  const root = join(new URL('..', import.meta.url).pathname);
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '*';
  const have = version(process.versions.node);
  const packages = lock.packages;
  const installed = reachable(packages, new Set());
  const needed = reachable(packages, PACKAGING);
  const unmet = { needed: new Map(), packaging: new Map() };
  if (!satisfies(have, own)) unmet.needed.set(own, ['hnet']);
  for (const [key, entry] of Object.entries(packages)) {
    const range = entry.engines?.node;
    if (!range || !installed.has(key) || satisfies(have, range)) continue;
    const group = needed.has(key) ? unmet.needed : unmet.packaging;
    const names = group.get(range) ?? [];
    if (!names.includes(nameOf(key))) names.push(nameOf(key));
    group.set(range, names);
  }
  const list = (group) =>
    [...group]
      .map(([range, names]) => `${names.slice(0, 3).join(', ')}${names.length > 3 ? '…' : ''} (${range})`)
      .join('; ');
  if (unmet.needed.size > 0) {
    process.stderr.write(
      `quickstart: Node.js ${process.versions.node} is too old for hnet's packages: ${list(unmet.needed)}.\n` +
        "Install a newer Node.js (the current LTS, from https://nodejs.org/en/download or NodeSource's Debian packages) and run this again.\n",
    );
    process.exit(1);
  }
  if (unmet.packaging.size > 0)
    process.stdout.write(
      `quickstart: note: building desktop packages (npm run dist) needs a newer Node.js than ${process.versions.node}: ${list(unmet.packaging)}. Running hnet does not.\n`,
    );
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) main();
