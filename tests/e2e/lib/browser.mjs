// Debian's Chromium for the UI's browser tests (not a test file itself), driven by
// playwright-core from web/node_modules (no browser download): a fresh profile, the flags a
// closed network needs, and console errors collected (the statuses a test provokes on purpose
// excepted).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './helpers.mjs';

const webRequire = createRequire(path.join(ROOT, 'web', 'package.json'));
const { chromium } = webRequire('playwright-core');
/** axe-core's source, injected into pages for accessibility checks. */
export const AXE = fs.readFileSync(webRequire.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM = process.env.STEPWISE_CHROMIUM || '/usr/bin/chromium';

/**
 * Start Chromium: { ctx, page, close }. errors (an array) receives console errors and page
 * errors, except "status of N" for the statuses in `allowed`.
 */
export async function openBrowser({ height = 1000, allowed = [401], errors = [] } = {}) {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-chromium-'));
  const ctx = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    locale: 'en-US',
    timezoneId: 'Europe/Paris',
    viewport: { width: 1440, height },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(15_000);
  const expected = new RegExp(`status of (${allowed.join('|')})\\b`);
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const close = async () => {
    await ctx.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  };
  return { ctx, page, close };
}
