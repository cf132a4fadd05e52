// The server owner's side, in the same browser: the hnet-server dashboard, where the first account
// is created and a join code handed out for the devices.
import type { Page } from 'playwright-core';

/**
 * Opens the setup link hnet-server printed, creates the first account with it (the owner never types
 * the setup token) and a join code; answers the code.
 */
export async function joinCodeFromDashboard(page: Page, setupUrl: string): Promise<string> {
  await page.goto(setupUrl);
  await ownerAccountFromSetupLink(page, 'owner@example.org');
  await page.getByLabel('Label', { exact: true }).fill('laptops');
  await page.getByRole('button', { name: 'Create join code' }).click();
  return (await page.locator('[data-secret="join-code"]').textContent()) ?? '';
}

/** On a dashboard opened through its setup link: creates the owner account, and waits until signed in. */
export async function ownerAccountFromSetupLink(page: Page, email: string): Promise<void> {
  await page.getByRole('heading', { name: 'Create the owner account' }).waitFor();
  if (new URL(page.url()).hash !== '') throw new Error('the setup token stayed in the address bar');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(email).waitFor();
}

/** Signed in to the dashboard: creates the network `name` and a join code for it; answers the code. */
export async function networkWithJoinCode(page: Page, name: string): Promise<string> {
  await page.getByLabel('New network').fill(name);
  await page.getByRole('button', { name: 'Create network' }).click();
  await page.getByRole('heading', { name }).waitFor();
  const codes = page.getByRole('region', { name: 'Join codes' });
  await codes.getByLabel('Label', { exact: true }).fill(`${name} devices`);
  await codes.getByLabel(/^Network/).selectOption({ label: name });
  await codes.getByRole('button', { name: 'Create join code' }).click();
  return (await page.locator('[data-secret="join-code"]').textContent()) ?? '';
}
