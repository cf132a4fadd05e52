// What UI tests do on the page, named the way a user would say it. Reused by the lab scenarios
// (a peer turning direct on screen, a join, the setup dialog against a real server).
import type { Locator, Page } from 'playwright-core';
import type { UiView } from '../../src-main/contract/ui-views.js';
import type { PathKind } from '../../src-main/contract/peer-paths.js';
import type { PeerReach } from '../../src-main/contract/status.js';

const titles: Record<UiView, string> = {
  peers: 'Peers',
  whitelist: 'Whitelist',
  hosts: 'Hostnames',
  networks: 'Networks',
  server: 'Server',
};

export async function showView(page: Page, view: UiView): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: titles[view] }).click();
}

export const peerRow = (page: Page, address: string): Locator =>
  page.locator(`tr[data-address="${address}"]`);

/** Waits until the peers table shows `address` answering over that kind of path (direct, tunnelled, idle). */
export async function waitForPath(
  page: Page,
  address: string,
  kind: PathKind,
  timeoutMs = 10_000,
): Promise<void> {
  await page
    .locator(
      `tr[data-address="${address}"][data-path="${kind}"]:is([data-reach="online"], [data-reach="idle"])`,
    )
    .waitFor({ timeout: timeoutMs });
}

/** Waits until the peers table shows `address` in that state (online, idle, unreachable, offline). */
export async function waitForReach(
  page: Page,
  address: string,
  reach: PeerReach,
  timeoutMs = 10_000,
): Promise<void> {
  await page.locator(`tr[data-address="${address}"][data-reach="${reach}"]`).waitFor({ timeout: timeoutMs });
}

/** The banner the page shows when it has lost the engine. */
export const engineBanner = (page: Page): Locator => page.getByRole('alert', { name: 'hnet engine' });

/** Whether the status on screen is greyed out as stale, as a user would see it (a grey filter). */
export const greyedOut = (page: Page): Promise<boolean> =>
  page
    .locator('main > [data-stale]')
    .evaluateAll((elements) =>
      elements.some(
        (element) =>
          element.getAttribute('data-stale') === 'true' &&
          getComputedStyle(element).filter.includes('grayscale'),
      ),
    );

/** The window's line about the server (base and websetup), e.g. "Connected to … over UDP". */
export const serverLine = (page: Page): Locator =>
  page.getByRole('group', { name: 'Server' }).locator('strong');

/** `text` as a regular expression source that matches it literally (addresses, endpoints). */
export const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
