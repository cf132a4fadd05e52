// What the window says about its own link to the engine. When the engine stops, the page says so at
// once and what it still shows is marked stale (greyed, with the time it was last live), never left
// green; when the engine is back the bridge reconnects and this goes away. Pure, so it is unit-tested.
import type { LinkState } from '../../../../src-main/contract/ui-bridge.js';
import { formatAgo, sentence } from '../../lib/format.js';

export interface EngineBanner {
  title: string;
  detail: string;
  /** Whether the status on screen is old news (greyed out). */
  stale: boolean;
}

const clock = (at: number): string => new Date(at).toLocaleTimeString([], { hour12: false });

/**
 * `lostAt`: when the link last went from up to anything else, if the page has a status from before.
 * Undefined while the link is up.
 */
export function describeEngineLink(
  link: LinkState,
  lostAt: number | undefined,
  now: number,
): EngineBanner | undefined {
  if (link.state === 'up') return undefined;
  const title =
    link.state === 'down'
      ? 'hnet is not running'
      : lostAt === undefined
        ? 'Connecting to hnet…'
        : 'Reconnecting to hnet…';
  const reason = sentence(link.reason);
  if (lostAt === undefined) return { title, detail: reason, stale: false };
  return {
    title,
    detail:
      `${reason} What this page shows is from ${clock(lostAt)} (${formatAgo(new Date(lostAt).toISOString(), now)}) ` +
      'and is not updated until hnet is back.',
    stale: true,
  };
}
