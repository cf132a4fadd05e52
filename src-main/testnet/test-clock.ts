// Virtual time for the in-memory network's tests: setInterval, setTimeout (node:test's mock timers)
// and performance.now, the engine's only clocks, are replaced and moved on in steps, each followed
// by the turns of the event loop the network and the engine need to carry what it set off; Date.now
// and setImmediate stay real. Two minutes of sessions, probes and beacons take well under a second
// and run the same way on a busy machine. Made before the engines start: all their timers must be
// virtual.
import { mock } from 'node:test';
import type { MemoryNetwork } from './memory-network.js';

/** Short enough that no engine deadline (a 200 ms tick, 2 s of silence) is stepped over. */
const STEP_MS = 50;
/** Turns of the event loop after each step, at the least: a loopback TCP round trip takes two. */
const SETTLE_TURNS = 4;
/** Past this, `until` gives up: a guard against a hanging test, never an assertion. */
const PATIENCE_MS = 600_000;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock {
  private readonly realNow = performance.now.bind(performance);
  private current = this.realNow();

  constructor(private readonly network: MemoryNetwork) {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    performance.now = () => this.current;
  }

  /** Now on this clock (what performance.now says). */
  now(): number {
    return this.current;
  }

  /** Lets one step pass. */
  async pass(): Promise<void> {
    this.current += STEP_MS;
    mock.timers.tick(STEP_MS);
    for (let turns = 0; turns < SETTLE_TURNS || this.network.pending > 0; turns++) await turn();
  }

  /** Lets `ms` pass, in steps. */
  async advance(ms: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += STEP_MS) await this.pass();
  }

  /** Polls `check` until it returns something, letting time pass between looks. */
  async until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
    const start = this.current;
    for (;;) {
      const found = await check();
      if (found !== undefined) return found;
      if (this.current - start > PATIENCE_MS) throw new Error(`gave up waiting for ${what}`);
      await this.pass();
    }
  }

  /** Real timers and performance.now again. */
  stop(): void {
    mock.timers.reset();
    performance.now = this.realNow;
  }
}
