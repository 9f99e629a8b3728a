// Measures the list page in Debian's Chromium against a running daemon (issue 9's figures):
// the JavaScript the list page loads (compressed bytes on the wire), the time from "Sign in"
// to the first rendered page of campaigns, and from typing a search to its rendered result.
// usage: node scripts/measure-ui.mjs URL USER PASSWORD [SEARCH] (runs: MEASURE_RUNS, default 5)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [url, user, password, q = 'sneakers'] = process.argv.slice(2);
if (!url || !user || !password) {
  console.error('usage: node scripts/measure-ui.mjs URL USER PASSWORD [SEARCH]');
  process.exit(2);
}
const runs = Number(process.env.MEASURE_RUNS || 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = { signin: [], search: [], searchApi: [], js: 0 };
for (let i = 0; i < runs; i++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-measure-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.STEPWISE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(url);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    let t0 = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.cell-name a').first().waitFor();
    res.signin.push(Date.now() - t0);
    res.js = await page.evaluate(() =>
      performance.getEntriesByType('resource').filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js')).reduce((n, e) => n + e.encodedBodySize, 0),
    );
    t0 = Date.now();
    await page.getByRole('searchbox', { name: 'Search' }).fill(q);
    await page.waitForFunction((s) => {
      const names = [...document.querySelectorAll('.cell-name')].map((e) => e.textContent.toLowerCase());
      return new URL(location.href).searchParams.get('q') === s && names.length > 0 && names.every((n) => n.includes(s)) && !document.querySelector('[aria-busy="true"]');
    }, q);
    res.search.push(Date.now() - t0);
    res.searchApi.push(await page.evaluate((s) => {
      const e = performance.getEntriesByType('resource').filter((x) => x.name.includes('/api/v1/campaigns?') && x.name.includes(`q=${encodeURIComponent(s)}`)).pop();
      return e ? Math.round(e.duration) : -1;
    }, q));
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`list page JavaScript: ${res.js} bytes compressed (${(res.js / 1024).toFixed(1)} KiB)`);
console.log(`sign-in → first rendered page: median ${median(res.signin)} ms (runs: ${res.signin.join(', ')})`);
console.log(`search typed → rendered result: median ${median(res.search)} ms, including the 250 ms typing debounce (runs: ${res.search.join(', ')})`);
console.log(`  of which GET /campaigns?q=: median ${median(res.searchApi)} ms`);
