/**
 * Headless Debian Chromium for the browser tests, through playwright-core (no browser download):
 * CHROMIUM_PATH or /usr/bin/chromium, one persistent profile per test file, flags that keep the
 * browser off the network (no sync, updates, QUIC or background requests).
 */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here (a skip reason), or false when Chromium is installed. */
export const noChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH to run the browser tests`;

export function launchChromium(profileDir: string, viewport?: { width: number; height: number }, extraArgs: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    ...(viewport ? { viewport } : {}),
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
