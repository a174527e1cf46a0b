/**
 * Debian's Chromium driven by playwright-core, headless, with a fresh
 * profile folder and nothing that reaches the network on its own.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Where `apt-get install chromium` puts the browser (`.ci/run` installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches Chromium with an empty profile under `dir` and a 1280×800 window. */
export async function launchChromium(dir: string): Promise<BrowserContext> {
  try {
    await access(CHROMIUM);
  } catch (error) {
    throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`, {
      cause: error,
    });
  }
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
