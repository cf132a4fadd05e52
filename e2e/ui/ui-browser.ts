// Debian's Chromium driven by playwright-core, with a fresh profile per run and nothing that
// phones home. Screenshots go to test-artifacts/ui/ (gitignored) for people to look at.
import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const artifacts = new URL('../../test-artifacts/ui/', import.meta.url).pathname;

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface UiBrowser {
  context: BrowserContext;
  page: Page;
  /** Saves test-artifacts/ui/<name>.png and answers its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface UiBrowserOptions {
  /** Runs Chromium inside this network namespace (a lab host's `namespace`), to reach its 127.0.0.1. */
  namespace?: string;
  /** 1280 × 800 unless given: a window's size, to see what a person sees at that width. */
  viewport?: { width: number; height: number };
}

export async function openBrowser(options: UiBrowserOptions = {}): Promise<UiBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'hnet-chromium-'));
  let executablePath = CHROMIUM;
  if (options.namespace) {
    executablePath = join(profile, 'chromium-in-namespace');
    await writeFile(executablePath, `#!/bin/sh\nexec ip netns exec ${options.namespace} ${CHROMIUM} "$@"\n`);
    await chmod(executablePath, 0o755);
  }
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(join(profile, 'data'), {
      executablePath,
      args: chromiumArgs,
      headless: true,
      viewport: options.viewport ?? { width: 1280, height: 800 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  // A UI that has not shown something within 10 s is broken, not slow.
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async screenshot(name) {
      await mkdir(artifacts, { recursive: true });
      const path = join(artifacts, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
