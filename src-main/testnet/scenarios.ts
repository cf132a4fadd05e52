// Scenarios written once and run on two worlds (conformance): the in-memory network in this
// process (test-net.ts, unit speed, no root) and the lab's namespaces with real hnetd processes
// (e2e/scenarios/lab-two-nodes.ts). Each world implements TwoNodes; a scenario only pings, reads
// the status and cuts the link, and asserts what a user would notice.
import assert from 'node:assert/strict';
import type { PeerReport } from '../contract/status.js';

/** How `from` reaches `to` as the status shows it: directly, or through the base. */
export type PathKind = 'direct' | 'tunnelled';

export interface TwoNodes {
  /** The two nodes' names; each may talk to the other and knows it by this name. */
  readonly a: string;
  readonly b: string;
  /** One echo request through `from`'s overlay device: true when its reply came back within a second. */
  ping(from: string, to: string): Promise<boolean>;
  /** Waits until `from`'s status shows `to` on a path of this kind (a guard, not a time limit). */
  waitPath(from: string, to: string, kind: PathKind): Promise<PeerReport>;
  /** Nothing passes between the two directly (both ways); the base, if any, still reaches both. */
  cutDirect(): Promise<void>;
  restoreDirect(): Promise<void>;
}

/** Whether the status entry shows this kind of path. */
export function onPath(peer: PeerReport, kind: PathKind): boolean {
  if (kind === 'direct') return peer.path === 'direct';
  return peer.path !== 'direct' && peer.endpoint === null && /base/.test(peer.reason);
}

/** Pings up to `tries` times: the first packets may wait for a handshake or a path to settle. */
async function answered(nodes: TwoNodes, from: string, to: string, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await nodes.ping(from, to)) return true;
  return false;
}

/** Two nodes on one LAN find each other by LAN beacons and go direct, with or without a base. */
export async function lanScenario(nodes: TwoNodes): Promise<void> {
  const { a, b } = nodes;
  assert.ok(await answered(nodes, a, b), `${a} pings ${b}`);
  const peer = await nodes.waitPath(a, b, 'direct');
  assert.match(peer.reason, /^direct via .* \(LAN\)$/);
  assert.ok(peer.endpoint, 'the status names the endpoint');
  assert.ok(await nodes.ping(a, b), 'the direct path carries pings');
  assert.ok(await nodes.ping(b, a), 'both ways');
  assert.equal((await nodes.waitPath(b, a, 'direct')).path, 'direct');
}

/**
 * Two nodes with a base: direct first; with the direct link cut, traffic falls back to the base and
 * the status says why; once restored, the direct path is found again.
 */
export async function failoverScenario(nodes: TwoNodes): Promise<void> {
  const { a, b } = nodes;
  assert.ok(await answered(nodes, a, b), `${a} pings ${b}`);
  const direct = await nodes.waitPath(a, b, 'direct');
  await nodes.cutDirect();
  try {
    const fallen = await nodes.waitPath(a, b, 'tunnelled');
    assert.match(
      fallen.reason,
      new RegExp(
        `direct path ${direct.endpoint!.replace(/[.[\]]/g, '\\$&')} (silent for 2 s: back to the base|stopped answering)`,
      ),
    );
    assert.ok(await answered(nodes, a, b, 3), 'pings go through the base meanwhile');
  } finally {
    await nodes.restoreDirect();
  }
  assert.ok(await answered(nodes, a, b), 'pings after the link is back');
  const again = await nodes.waitPath(a, b, 'direct');
  assert.equal(again.endpoint, direct.endpoint, 'the same direct path as before');
}
