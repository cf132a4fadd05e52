// What UI tests do on the page, named the way a user would say it. Reused by the lab scenarios
// (a peer turning direct on screen, a join, the setup dialog against a real server).
import type { Locator, Page } from 'playwright-core';
import type { UiView } from '../../src-main/electron/ui-views.js';
import type { PathKind } from '../../src-main/electron/peer-paths.js';

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

/** Waits until the peers table shows `address` with that kind of path (direct, tunnelled, idle). */
export async function waitForPath(
  page: Page,
  address: string,
  kind: PathKind,
  timeoutMs = 10_000,
): Promise<void> {
  await page.locator(`tr[data-address="${address}"][data-path="${kind}"]`).waitFor({ timeout: timeoutMs });
}

/** `text` as a regular expression source that matches it literally (addresses, endpoints). */
export const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
