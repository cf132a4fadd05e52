// The server owner's side, in the same browser: the hnet-server dashboard, where the first account
// is created and a join code handed out for the devices.
import type { Page } from 'playwright-core';

/** Signs up the dashboard's first account and creates a join code; answers the code. */
export async function joinCodeFromDashboard(page: Page, dashboardUrl: string): Promise<string> {
  await page.goto(dashboardUrl);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email', { exact: true }).fill('owner@example.org');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('owner@example.org').waitFor();
  await page.getByLabel('Label', { exact: true }).fill('laptops');
  await page.getByRole('button', { name: 'Create join code' }).click();
  return (await page.locator('[data-secret="join-code"]').textContent()) ?? '';
}
