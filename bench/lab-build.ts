// How long a typical scenario lab takes to build and to destroy: 3 segments (the Internet and two
// LANs), 2 cone NAT routers, 3 hosts (one per segment). Needs root.
//   node --import tsx bench/lab-build.ts [--runs 5]
import { parseArgs } from 'node:util';
import { Lab } from '../e2e/lab/index.js';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(options.runs);
if (!(runs >= 1)) throw new Error('use --runs 1 or more');
if (process.getuid?.() !== 0) throw new Error('bench/lab-build.ts needs root: it builds network namespaces');

async function buildTypicalLab(lab: Lab): Promise<void> {
  const internet = await lab.segment('inet');
  const lan1 = await lab.segment('lan1');
  const lan2 = await lab.segment('lan2');
  await lab.router('nat1', { wan: internet, lan: lan1 });
  await lab.router('nat2', { wan: internet, lan: lan2 });
  await lab.host('a', { on: lan1 });
  await lab.host('b', { on: lan2 });
  await lab.host('server', { on: internet });
}

const builds: number[] = [];
const destroys: number[] = [];
for (let run = 0; run < runs; run++) {
  const started = performance.now();
  // Lab.create is inside the timing: its sweep of dead runs' labs is part of every test's start.
  const lab = await Lab.create();
  try {
    await buildTypicalLab(lab);
    builds.push(performance.now() - started);
  } finally {
    const destroying = performance.now();
    await lab.destroy();
    destroys.push(performance.now() - destroying);
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
function summary(title: string, times: readonly number[]): string {
  const ascending = [...times].sort((x, y) => x - y);
  const median = ascending[Math.floor((ascending.length - 1) / 2)] ?? 0;
  return `${title}  median ${seconds(median)}  min ${seconds(ascending[0] ?? 0)}  max ${seconds(ascending.at(-1) ?? 0)}`;
}
console.log(`lab with 3 segments, 2 NAT routers, 3 hosts; ${runs} runs`);
console.log(summary('build:  ', builds));
console.log(summary('destroy:', destroys));
