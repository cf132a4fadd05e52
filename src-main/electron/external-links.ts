// The only pages the desktop window may open, and only in the system browser: the dashboards and the
// setup link that the engine (its server, its network) and the server hosted here name. Any other
// address a page might try stays refused, as every navigation and new window is (main.ts).
import type { Status } from '../contract/status.js';
import type { HostingState } from '../contract/ui-bridge.js';

const canonical = (url: string): string | undefined => {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
};

/** The pages the engine and the hosted server know of right now. */
export function knownPages(status: Status | undefined, hosting: HostingState): string[] {
  const pages = [
    status?.server?.dashboardUrl,
    ...(status?.networks ?? []).map((network) => network.dashboardUrl),
    ...(hosting.state === 'running' ? [hosting.server.url, hosting.server.setupUrl] : []),
  ];
  return pages.filter((page): page is string => typeof page === 'string' && page !== '');
}

/** Exactly one of `known` (as a browser writes it), over http(s); nothing else. */
export function mayOpen(url: string, known: readonly string[]): boolean {
  const wanted = canonical(url);
  return wanted !== undefined && known.some((page) => canonical(page) === wanted);
}
