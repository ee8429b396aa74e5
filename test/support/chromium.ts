/**
 * Debian's headless Chromium driven by playwright-core (no browser download): installed by
 * scripts/install-chromium.sh. The flags keep it from reaching the network on its own (updates, sync, first-run pages),
 * so every request a page makes is the page's.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['PYTUNER_CHROMIUM'] ?? '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}
