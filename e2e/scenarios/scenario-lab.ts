// The lab every scenario file builds its world in, with its teardown registered once.
import { after, before } from 'node:test';
import { Lab } from '../lab/index.js';
import { makeScratch, removeScratch } from './hnet-node.js';

/**
 * A fresh lab and scratch folder for the enclosing `describe`, torn down after it even when a test
 * fails. Call it before the block's own `before`, which then reads `world.lab` and `world.scratch`.
 */
export function scenarioLab(): { readonly lab: Lab; readonly scratch: string } {
  const world = {} as { lab: Lab; scratch: string };
  before(async () => {
    world.lab = await Lab.create();
    world.scratch = await makeScratch();
  });
  after(async () => {
    await world.lab?.destroy();
    if (world.scratch) await removeScratch(world.scratch);
  });
  return world;
}
