// The web UI (SPEC §6, issue 9) in a real browser: Debian's Chromium driven by playwright-core,
// against a real daemon serving the UI from its binary. Sign-in, the list's columns by their
// accessible names, search, the status filter and its URL round trip, sort, the row menu's
// rules (Delete disabled while running with the reason; Duplicate makes "(copy)"; Delete asks
// first), an expired session bringing the sign-in back on the same page, French labels, and
// axe-core on the list. Plus the HTTP side of the embedded files (caching, gzip, fallback).
// playwright-core and axe-core come from web/node_modules (web/package-lock.json pins them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { AXE, openBrowser } from './lib/browser.mjs';
import { startDaemon, closeClean, addUser, until } from './lib/daemon.mjs';


let d;
let ctx;
let page;
let closeBrowser;
const ids = {};
const consoleErrors = [];

const doc = (name, extra = {}) => ({
  name,
  activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
  transitions: [],
  ...extra,
});

before(async () => {
  d = await startDaemon({ profiles: 300, seed: 9 });
  addUser(d.db, 'mia', 'editor', 'mia-password-1');
  // Created in this order: the list's default sort (last modified, newest first) shows them reversed.
  ids.alpha = (await d.ok('POST', '/campaigns', doc('Alpha newsletter', { description: 'Monthly news' }))).id;
  ids.beta = (await d.ok('POST', '/campaigns', doc('Beta win-back', { campaign: 'Spring 2027' }))).id;
  ids.gamma = (await d.ok('POST', '/campaigns', doc('Gamma weekly', {
    schedule: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', start: '2027-03-01T00:00:00' },
    timezone: 'Europe/Paris',
  }))).id;
  await d.ok('POST', `/campaigns/${ids.gamma}/start`, {}); // armed schedule: running
  await d.waitCampaign(ids.gamma, 'running');
  // 401 (session ended) and 404 (a deleted campaign) are answers the tests provoke on purpose.
  ({ ctx, page, close: closeBrowser } = await openBrowser({ height: 900, allowed: [401, 404], errors: consoleErrors }));
});

after(async () => {
  if (closeBrowser) await closeBrowser();
  await closeClean(d);
});

const names = () => page.locator('.cell-name a').allTextContents();
async function waitNames(want, what) {
  await until(async () => JSON.stringify(await names()) === JSON.stringify(want), { timeoutMs: 15_000, what: `${what}: ${JSON.stringify(want)}` }).catch(async (e) => {
    throw new Error(`${e.message}; shown: ${JSON.stringify(await names())}`);
  });
}
const search = () => new URL(page.url()).searchParams;
const row = (name) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

async function signIn(user = 'mia', password = 'mia-password-1') {
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Open a page of the UI, signing in when the form shows (tests can also run alone). */
async function open(pathAndQuery) {
  await page.goto(`${d.url}${pathAndQuery}`);
  const form = page.getByRole('button', { name: 'Sign in' });
  await Promise.race([form.waitFor(), page.getByRole('grid').waitFor()]);
  if (await form.isVisible()) await signIn();
  await page.getByRole('grid').waitFor();
}

test('the embedded UI: hashed files cached as immutable and gzipped, index.html revalidated, client paths get index.html', async () => {
  const index = await fetch(`${d.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  const html = await index.text();
  assert.match(html, /<div id="root">/);
  // A strict CSP needs no inline script or style: every script has a src, no style attributes.
  for (const m of html.matchAll(/<script\b[^>]*>/g)) assert.match(m[0], /\bsrc=/, m[0]);
  assert.doesNotMatch(html, /<style\b|\sstyle=/);
  assert.match(index.headers.get('cache-control'), /no-cache/);
  const etag = index.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{20}(-gz)?"$/);
  const again = await fetch(`${d.url}/`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  // Client-side paths are the app; API paths and missing assets are not.
  const deep = await fetch(`${d.url}/campaigns/12?status=running`);
  assert.equal(deep.status, 200);
  assert.equal(await deep.text(), html);
  const api = await fetch(`${d.url}/api/v1/no-such-thing`);
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.code.length > 0, true);
  assert.equal((await fetch(`${d.url}/assets/no-such-file.js`)).status, 404);
  assert.equal((await fetch(`${d.url}/healthz`)).status, 200);
  // The entry script: immutable, gzip when accepted, identity otherwise (same bytes).
  const src = /<script[^>]*src="([^"]+)"/.exec(html)[1];
  assert.match(src, /^\/assets\/index-[\w-]+\.js$/);
  const raw = await new Promise((resolve, reject) => {
    import('node:http').then(({ get }) => {
      const one = (enc) => new Promise((res, rej) => {
        get(`${d.url}${src}`, { headers: enc ? { 'Accept-Encoding': enc } : {} }, (r) => {
          const chunks = [];
          r.on('data', (c) => chunks.push(c));
          r.on('end', () => res({ headers: r.headers, status: r.statusCode, body: Buffer.concat(chunks) }));
        }).on('error', rej);
      });
      Promise.all([one('gzip, deflate, br'), one(null), one('gzip;q=0, br')]).then(resolve, reject);
    }, reject);
  });
  const [gz, plain, refused] = raw;
  assert.equal(refused.headers['content-encoding'], undefined, 'gzip;q=0 refuses gzip');
  assert.ok(refused.body.equals(plain.body));
  const head = await fetch(`${d.url}/campaigns/3`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal((await head.text()).length, 0);
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers['content-type'], /^text\/javascript/);
  assert.match(gz.headers['cache-control'], /max-age=31536000/);
  assert.match(gz.headers['cache-control'], /immutable/);
  assert.match(gz.headers.vary, /Accept-Encoding/);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.ok(zlib.gunzipSync(gz.body).equals(plain.body), 'the gzip copy is the same file');
  assert.ok(gz.body.length < plain.body.length / 2);
});

test('strict caching headers: one Cache-Control per response, the handler\'s own', async () => {
  const html = await (await fetch(`${d.url}/`)).text();
  const src = /<script[^>]*src="([^"]+)"/.exec(html)[1];
  assert.equal((await fetch(`${d.url}${src}`)).headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal((await fetch(`${d.url}/`)).headers.get('cache-control'), 'no-cache');
});

test('sign-in keeps the page asked for, then the list shows the default columns by their accessible names', async () => {
  await page.goto(`${d.url}/?sort=name&order=asc`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByRole('grid').count(), 0, 'nothing of the list before signing in');
  // A wrong password says so and stays.
  await signIn('mia', 'not-her-password');
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
  await signIn();
  await page.getByRole('grid', { name: 'Multi-step campaigns' }).waitFor();
  assert.equal(search().get('sort'), 'name', 'the URL survived the sign-in');
  await waitNames(['Alpha newsletter', 'Beta win-back', 'Gamma weekly'], 'sorted by name');
  const headers = (await page.getByRole('columnheader').allInnerTexts()).map((s) => s.replace(/[▲▼]/g, '').trim()).filter(Boolean);
  assert.deepEqual(headers.slice(0, 5), ['Name', 'Status', 'Last run', 'Last modified', 'Next run']);
  for (const n of ['Name', 'Status', 'Last run', 'Last modified', 'Next run']) {
    assert.equal(await page.getByRole('columnheader', { name: n, exact: true }).count(), 1, n);
  }
  assert.equal(await page.getByRole('columnheader', { name: 'Tags', exact: true }).count(), 0);
  assert.equal(await page.getByRole('tab', { name: 'Multi-step campaigns' }).getAttribute('aria-selected'), 'true');
  await page.getByRole('tab', { name: 'Templates' }).waitFor();
  await page.getByRole('button', { name: 'Configure columns' }).waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Multi-step campaigns' }).waitFor();
  // Status badges, and the running campaign's next run in the browser's time zone (Paris).
  assert.equal((await row('Gamma weekly').getByText('Running', { exact: true }).count()), 1);
  assert.equal((await row('Alpha newsletter').getByText('Draft', { exact: true }).count()), 1);
  const gammaNext = await row('Gamma weekly').getByRole('gridcell').nth(3).innerText();
  assert.match(gammaNext, /Mar 1, 2027.*9:00/, `next run shown in Paris time: ${gammaNext}`);
});

test('search, the status filter and the sort live in the URL and survive a reload', async () => {
  await open('/?sort=name&order=asc');
  await page.getByRole('searchbox', { name: 'Search' }).fill('win');
  await waitNames(['Beta win-back'], 'search "win"');
  await until(() => search().get('q') === 'win', { what: 'q in the URL' });
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await waitNames(['Alpha newsletter', 'Beta win-back', 'Gamma weekly'], 'search cleared');

  await page.getByRole('button', { name: /^Status All statuses/ }).click();
  await page.getByRole('menuitemcheckbox', { name: 'Running' }).click();
  await page.keyboard.press('Escape');
  await waitNames(['Gamma weekly'], 'status=running');
  assert.equal(search().get('status'), 'running');
  await page.reload();
  await waitNames(['Gamma weekly'], 'status=running after a reload');
  await page.getByRole('button', { name: 'Status Running' }).waitFor();

  // A bookmarked URL with two statuses.
  await page.goto(`${d.url}/?status=draft,running&sort=name&order=desc`);
  await waitNames(['Gamma weekly', 'Beta win-back', 'Alpha newsletter'], 'draft+running by name desc');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await until(() => !search().has('status'), { what: 'status gone from the URL' });

  // Sort by a header: a first click sorts by that column in its natural order, a second flips.
  await page.getByRole('columnheader', { name: 'Name', exact: true }).click();
  await until(() => search().get('sort') === 'name' && search().get('order') === 'asc', { what: 'sort=name asc' });
  await waitNames(['Alpha newsletter', 'Beta win-back', 'Gamma weekly'], 'name asc');
  assert.equal(await page.getByRole('columnheader', { name: 'Name', exact: true }).getAttribute('aria-sort'), 'ascending');
  await page.getByRole('columnheader', { name: 'Name', exact: true }).click();
  await waitNames(['Gamma weekly', 'Beta win-back', 'Alpha newsletter'], 'name desc');
  assert.equal(search().get('order'), 'desc');
  await page.goBack();
  await waitNames(['Alpha newsletter', 'Beta win-back', 'Gamma weekly'], 'back to name asc');
});

test('More actions: Delete disabled while running with the reason; Duplicate makes a "(copy)"; Delete asks first', async () => {
  await open('/?sort=name&order=asc');
  await waitNames(['Alpha newsletter', 'Beta win-back', 'Gamma weekly'], 'list');
  await row('Gamma weekly').getByRole('button', { name: 'More actions' }).click();
  const menu = page.getByRole('menu');
  await menu.waitFor();
  const items = (await menu.getByRole('menuitem').allInnerTexts()).map((s) => s.split('\n')[0].trim());
  assert.deepEqual(items, ['Duplicate', 'Delete', 'Pause', 'Stop']);
  const del = menu.getByRole('menuitem', { name: 'Delete' });
  assert.equal(await del.getAttribute('aria-disabled'), 'true');
  await menu.getByText('A running campaign cannot be deleted: pause or stop it first.').waitFor();
  await menu.getByRole('menuitem', { name: 'Duplicate' }).click();
  await waitNames(['Alpha newsletter', 'Beta win-back', 'Gamma weekly', 'Gamma weekly (copy)'], 'after Duplicate');
  await page.getByRole('status').getByText('Created “Gamma weekly (copy)”.').waitFor();
  await page.getByRole('row').filter({ hasText: 'Gamma weekly (copy)' }).getByText('Draft', { exact: true }).waitFor();
  assert.equal((await d.ok('GET', `/campaigns/${ids.gamma}`)).status, 'running');

  // A draft: Start is offered, Delete is enabled and asks before it acts.
  await row('Beta win-back').getByRole('button', { name: 'More actions' }).click();
  const items2 = (await page.getByRole('menu').getByRole('menuitem').allInnerTexts()).map((s) => s.trim());
  assert.deepEqual(items2, ['Duplicate', 'Delete', 'Start']);
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.getByRole('heading', { name: 'Delete “Beta win-back”?' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await d.api('GET', `/campaigns/${ids.beta}`, null, d.tokens.admin)).status, 200, 'Cancel deleted nothing');
  await row('Beta win-back').getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await waitNames(['Alpha newsletter', 'Gamma weekly', 'Gamma weekly (copy)'], 'after Delete');
  assert.equal((await d.api('GET', `/campaigns/${ids.beta}`, null, d.tokens.admin)).status, 404);

  // The API's refusal is shown: delete a campaign that another client deleted meanwhile (a
  // deletion changes no status, so the live feed leaves the open menu alone).
  const doomed = (await d.ok('POST', '/campaigns', doc('Zeta doomed'))).id;
  await page.reload();
  await row('Zeta doomed').getByRole('button', { name: 'More actions' }).click();
  await d.ok('DELETE', `/campaigns/${doomed}`);
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alert').filter({ hasText: `The server refused: no campaign with id ${doomed}` }).waitFor();
  await waitNames(['Alpha newsletter', 'Gamma weekly', 'Gamma weekly (copy)'], 'the list read again');
});

test('an expired session brings back the sign-in form on the same page, which comes back after signing in', async () => {
  await open('/?q=Alpha');
  await waitNames(['Alpha newsletter'], 'q=Alpha');
  await ctx.clearCookies(); // as if the session had expired on the server
  await page.getByRole('searchbox', { name: 'Search' }).fill('Gamma');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByText('Your session has ended').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(search().get('q'), 'Gamma', 'the URL (the page) is kept');
  await signIn();
  await waitNames(['Gamma weekly (copy)', 'Gamma weekly'], 'back on the same page');

  // Signing out: the form again; a reload stays signed out.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await signIn();
  await page.getByRole('grid').waitFor();
});

test('axe-core finds no serious or critical violation on the list, nor on its menu', async () => {
  await open('/');
  await row('Alpha newsletter').waitFor();
  await page.evaluate(AXE); // evaluated by DevTools: the page's CSP allows no injected script
  const run = () =>
    page.evaluate(async () => {
      const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.html).join(', ')}`);
    });
  assert.deepEqual(await run(), []);
  await row('Alpha newsletter').getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menu').waitFor();
  assert.deepEqual(await run(), []);
  await page.keyboard.press('Escape');
});

test('Configure columns: an optional column is added, and the choice survives a reload and a new sign-in', async () => {
  await open('/');
  assert.equal(await page.getByRole('columnheader', { name: 'Parent campaign', exact: true }).count(), 0);
  await page.getByRole('button', { name: 'Configure columns' }).click();
  const dialog = page.getByRole('dialog', { name: 'Configure columns' });
  await dialog.getByText('Parent campaign', { exact: true }).click();
  await dialog.getByText('Next run', { exact: true }).click();
  assert.equal(await dialog.getByRole('checkbox', { name: 'Parent campaign' }).isChecked(), true);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('columnheader', { name: 'Parent campaign', exact: true }).waitFor();
  assert.equal(await page.getByRole('columnheader', { name: 'Next run', exact: true }).count(), 0);
  await page.reload();
  await page.getByRole('columnheader', { name: 'Parent campaign', exact: true }).waitFor();
  assert.equal(await page.getByRole('columnheader', { name: 'Next run', exact: true }).count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn();
  await page.getByRole('columnheader', { name: 'Parent campaign', exact: true }).waitFor();
  // Back to the defaults for the tests that follow.
  await page.getByRole('button', { name: 'Configure columns' }).click();
  await dialog.getByText('Parent campaign', { exact: true }).click();
  await dialog.getByText('Next run', { exact: true }).click();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('columnheader', { name: 'Next run', exact: true }).waitFor();
});

test('a campaign page draws its activity graph with the latest run\'s count on every transition, and passes axe-core', async () => {
  const c = await d.ok('POST', '/campaigns', {
    name: 'Graph demo',
    options: { keep_interim_results: true }, // the transitions' samples stay readable
    activities: [
      { id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
      { id: 'dedup', type: 'deduplicate', fields: ['email'] },
      { id: 'split', type: 'split', segments: [{ port: 'sample', percent: 10 }], complement: 'rest' },
      { id: 'keep', type: 'save_audience', audience: 'ui_graph_rest', mode: 'replace' },
    ],
    transitions: [
      { from: 'fr', to: 'dedup' },
      { from: 'dedup', to: 'split' },
      { from: 'split', port: 'rest', to: 'keep' },
    ],
  });
  await d.ok('POST', `/campaigns/${c.id}/start`, {});
  await d.waitCampaign(c.id, ['completed']);
  const run = d.lastRunId(c.id);
  const tasks = (await d.ok('GET', `/runs/${run}/tasks`)).items;
  const count = (a, port) => tasks.find((t) => t.activity === a).counts[port];
  const want = [String(count('fr', 'out')), String(count('dedup', 'out')), `rest: ${count('split', 'rest')}`];
  assert.ok(count('fr', 'out') > 0, 'the audience is not empty');
  await open('/');
  await page.getByRole('link', { name: 'Graph demo', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Graph demo' }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/campaigns/${c.id}`);
  await page.getByText(`Latest run #${run}: Completed`).waitFor();
  await until(async () => (await page.locator('.edge-count').count()) === 3, { what: 'three edge labels' });
  const labels = (await page.locator('.edge-count').allTextContents()).map((s) => s.replace(/[\s,\u202f]/g, '').replace('rest:', 'rest: '));
  assert.deepEqual(labels.sort(), want.sort());
  assert.equal(await page.locator('.react-flow__node').count(), 4);
  await page.getByRole('grid', { name: 'Tasks' }).getByRole('row').filter({ hasText: 'dedup' }).getByText('Completed').waitFor();
  // A transition's rows: click its count.
  // (the count is a button: reached by keyboard focus and opened with Enter)
  await page.getByRole('button', { name: /sample of the rows on split → keep \(rest\)/ }).focus();
  await page.keyboard.press('Enter');
  const sample = page.getByRole('dialog', { name: `Rows on split → rest (run #${run})` });
  await sample.waitFor();
  await until(async () => (await sample.locator('tbody tr').count()) === Math.min(count('split', 'rest'), 100), { what: 'the sample rows' });
  assert.ok((await sample.locator('th').allTextContents()).includes('email'), 'the dimension\'s columns');
  await sample.getByRole('button', { name: 'Done' }).click();
  await sample.waitFor({ state: 'detached' });
  // Simulate: the counts of a dry run replace the latest run's, then back.
  await page.getByRole('button', { name: 'Simulate' }).click();
  await page.getByText(/^Simulation #\d+: Completed/).waitFor();
  const sim = Number(/#(\d+)/.exec(await page.getByText(/^Simulation #\d+/).innerText())[1]);
  assert.notEqual(sim, run);
  const simTasks = (await d.ok('GET', `/runs/${sim}/tasks`)).items;
  const simCount = (a, port) => simTasks.find((x) => x.activity === a).counts[port];
  const simWant = [String(simCount('fr', 'out')), String(simCount('dedup', 'out')), `rest: ${simCount('split', 'rest')}`];
  await until(async () => {
    const l = (await page.locator('.edge-count').allTextContents()).map((s) => s.replace(/[\s,\u202f]/g, '').replace('rest:', 'rest: '));
    return JSON.stringify(l.sort()) === JSON.stringify([...simWant].sort());
  }, { what: 'the simulation counts on the transitions' });
  await page.getByRole('button', { name: 'Show the latest run' }).click();
  await page.getByText(`Latest run #${run}: Completed`).waitFor();
  // A reload of the page's own URL comes back to it (the daemon serves index.html there).
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Graph demo' }).waitFor();
  // The campaign's own More actions: Duplicate opens the copy, Delete (confirmed) goes back to the list.
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Duplicate' }).click();
  await page.getByRole('heading', { level: 1, name: 'Graph demo (copy)' }).waitFor();
  const copyId = Number(new URL(page.url()).pathname.split('/').pop());
  assert.notEqual(copyId, c.id);
  await page.getByText('Never run: the graph shows no counts yet.').waitFor();
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('grid', { name: 'Multi-step campaigns' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal((await d.api('GET', `/campaigns/${copyId}`, null, d.tokens.admin)).status, 404);
  await page.goto(`${d.url}/campaigns/${c.id}`);
  await page.getByRole('heading', { level: 1, name: 'Graph demo' }).waitFor();
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(', ')}`);
  });
  assert.deepEqual(violations, []);
});

test('a status change made elsewhere appears on the list without a reload (events feed)', async () => {
  const c = await d.ok('POST', '/campaigns', doc('Epsilon live'));
  await open('/?q=Epsilon');
  await row('Epsilon live').getByText('Draft', { exact: true }).waitFor();
  await page.evaluate(() => {
    globalThis.__sameDocument = true;
  });
  await d.ok('POST', `/campaigns/${c.id}/start`, {});
  await d.waitCampaign(c.id, ['completed']);
  await row('Epsilon live').getByText('Completed', { exact: true }).waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => globalThis.__sameDocument), true, 'no reload happened');
  await until(async () => (await row('Epsilon live').getByRole('gridcell').nth(1).innerText()).trim() !== '', { what: 'the last run time, read again after the event' });
  assert.equal(await page.evaluate(() => globalThis.__sameDocument), true, 'still no reload');
});

test('the parent campaign, targeting dimension and processed-within filters, each through its control and the URL', async () => {
  await d.ok('POST', '/campaigns', doc('Theta grouped', { campaign: 'Grouped once' }));
  await d.ok('POST', '/campaigns', { name: 'Households count', targeting_dimension: 'households', activities: [{ id: 'all', type: 'build_audience' }], transitions: [] });
  await open('/?sort=name&order=asc');
  await page.getByLabel('Parent campaign').fill('Grouped once');
  await waitNames(['Theta grouped'], 'parent campaign filter');
  assert.equal(search().get('campaign'), 'Grouped once');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await until(async () => (await names()).length > 2, { what: 'filters cleared' });

  await page.getByRole('button', { name: /Targeting dimension/ }).click();
  await page.getByRole('option', { name: 'households' }).click();
  await waitNames(['Households count'], 'dimension filter');
  assert.equal(search().get('dimension'), 'households');
  await page.reload();
  await waitNames(['Households count'], 'dimension filter after a reload');
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // Processed within a range of days (the test daemon's clock starts on 2026-06-15): the
  // campaigns that ran then, as the API lists them.
  const want = (await d.ok('GET', '/campaigns?processed_from=2026-06-14T00:00:00Z&processed_to=2026-06-16T23:59:59Z&sort=name&order=asc&limit=100')).items.map((c) => c.name);
  assert.ok(want.includes('Epsilon live') && want.includes('Graph demo'), JSON.stringify(want));
  await page.getByRole('group', { name: 'Processed' }).getByLabel('Processed from').fill('2026-06-14');
  await page.getByRole('group', { name: 'Processed' }).getByLabel('Processed to').fill('2026-06-16');
  await waitNames(want, 'processed within 14-16 June');
  assert.equal(search().get('from'), '2026-06-14');
  assert.equal(search().get('to'), '2026-06-16');
  await page.goto(`${d.url}/?from=2026-06-01&to=2026-06-02`);
  await page.getByText('No multi-step campaign matches.').waitFor();
  assert.equal(await page.getByLabel('Processed from').inputValue(), '2026-06-01');
});

test('the list works from the keyboard: Tab to a row\'s menu, open it, choose, confirm or cancel', async () => {
  await open('/?q=Alpha');
  await waitNames(['Alpha newsletter'], 'q=Alpha');
  await page.getByRole('searchbox', { name: 'Search' }).focus();
  // The grid is one Tab stop; arrows move within it (WAI-ARIA grid pattern).
  let inGrid = false;
  for (let i = 0; i < 30 && !inGrid; i++) {
    await page.keyboard.press('Tab');
    inGrid = await page.evaluate(() => !!document.activeElement?.closest('[role=grid]'));
  }
  assert.ok(inGrid, 'Tab reaches the list');
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('ArrowRight');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'More actions');
  }
  assert.ok(reached, 'the arrows reach the row\'s More actions button');
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
  await page.keyboard.press('ArrowDown'); // Duplicate → Delete
  await page.keyboard.press('Enter');
  await page.getByRole('alertdialog').waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('alertdialog').waitFor({ state: 'detached' });
  await waitNames(['Alpha newsletter'], 'nothing deleted');
});

test('a campaign "with error" links from the list to its failing activity: its task and its logs, errors first', async () => {
  const c = await d.ok('POST', '/campaigns', {
    name: 'Iota failing',
    activities: [{ id: 'vips', type: 'read_audience', audience: 'never_saved_anywhere' }],
    transitions: [],
  });
  await d.ok('POST', `/campaigns/${c.id}/start`, {});
  const failed = await d.waitCampaign(c.id, ['failed']);
  assert.equal(failed.last_error_activity, 'vips');
  await open('/?q=Iota');
  await row('Iota failing').getByText('With error', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Configure columns' }).click();
  const dialog = page.getByRole('dialog', { name: 'Configure columns' });
  await dialog.getByText('Last activity in error', { exact: true }).click();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await row('Iota failing').getByRole('link', { name: 'vips' }).click();
  await page.getByRole('heading', { level: 1, name: 'Iota failing' }).waitFor();
  assert.equal(search().get('activity'), 'vips');
  const logs = page.getByRole('grid', { name: 'Logs' });
  await logs.getByRole('row').nth(1).getByText('Error', { exact: true }).waitFor();
  assert.match(await logs.getByRole('row').nth(1).innerText(), /vips/);
  await page.getByRole('grid', { name: 'Tasks' }).getByRole('row').filter({ hasText: 'vips' }).getByText('Failed').waitFor();
  // Every activity, then only warnings: the filters apply.
  await page.getByRole('button', { name: 'Show every activity' }).click();
  assert.equal(search().get('activity'), null);
  await page.getByRole('button', { name: /Level/ }).click();
  await page.getByRole('option', { name: 'Info' }).click();
  await until(async () => {
    const levels = await logs.locator('.level').allTextContents();
    return levels.length > 0 && levels.every((l) => l === 'Info');
  }, { what: 'info lines only' });
  await open('/');
  await page.getByRole('button', { name: 'Configure columns' }).click();
  await dialog.getByText('Last activity in error', { exact: true }).click();
  await dialog.getByRole('button', { name: 'Done' }).click();
});

test('cursor paging: next and previous pages, the range shown, the cursor in the URL', async () => {
  for (let i = 1; i <= 52; i++) {
    await d.ok('POST', '/campaigns', doc(`Paged ${String(i).padStart(2, '0')}`, { campaign: 'Paging test' }));
  }
  await open('/?campaign=Paging%20test&sort=name&order=asc');
  await until(async () => (await names()).length === 50, { what: 'a first page of 50' });
  assert.equal((await names())[0], 'Paged 01');
  await page.getByText('1–50 of 52').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Next page' }).click();
  await waitNames(['Paged 51', 'Paged 52'], 'the second page');
  assert.ok(search().get('cursor'), 'the cursor is in the URL');
  await page.getByText('51–52 of 52').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Previous page' }).click();
  await until(async () => (await names())[0] === 'Paged 01', { what: 'back on the first page' });
  assert.equal(search().get('cursor'), null);
  // The browser's Back and Forward walk the pages too; a page reached that way shows the total.
  await page.getByRole('button', { name: 'Next page' }).click();
  await waitNames(['Paged 51', 'Paged 52'], 'the second page again');
  await page.goBack();
  await until(async () => (await names())[0] === 'Paged 01', { what: 'Back: the first page' });
  await page.getByText('1–50 of 52').waitFor();
  await page.goForward();
  await waitNames(['Paged 51', 'Paged 52'], 'Forward: the second page');
  await page.getByText('51–52 of 52').waitFor();
  // A bookmarked page: its number is unknown, the total is shown.
  await page.reload();
  await waitNames(['Paged 51', 'Paged 52'], 'the second page, reloaded');
  await page.getByText('52 campaigns').waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await until(async () => (await names())[0] === 'Paged 01', { what: 'Previous from a bookmark: the first page' });
});

test('Create campaign makes a draft and opens it; the Templates tab makes a campaign from a template', async () => {
  await open('/');
  await page.getByRole('button', { name: 'Create campaign' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create campaign' });
  await dialog.getByLabel('Name').fill('Made in the UI');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { level: 1, name: 'Made in the UI' }).waitFor();
  const made = Number(new URL(page.url()).pathname.split('/').pop());
  assert.equal((await d.ok('GET', `/campaigns/${made}`)).status, 'draft');
  // Save as template, from the campaign's page.
  await page.getByRole('button', { name: 'Save as template' }).click();
  await page.getByRole('status').getByText(/^Saved the template “.+”\.$/).waitFor();
  const saved = (await d.ok('GET', '/templates')).items.filter((x) => x.name.includes('Made in the UI'));
  assert.equal(saved.length, 1, JSON.stringify(saved));

  const tpl = await d.ok('POST', '/templates', { ...doc('Template for the UI'), description: 'A reusable start' });
  await page.goto(`${d.url}/templates`);
  await page.getByRole('tab', { name: 'Templates', selected: true }).waitFor();
  await page.getByRole('grid', { name: 'Templates' }).getByRole('row').filter({ hasText: saved[0].name }).waitFor();
  const trow = page.getByRole('row').filter({ hasText: 'Template for the UI' });
  await trow.getByText('A reusable start').waitFor();
  await trow.getByRole('button', { name: 'Create campaign from template: Template for the UI' }).click();
  await page.waitForURL(/\/campaigns\/\d+$/);
  const fromTpl = Number(new URL(page.url()).pathname.split('/').pop());
  const c = await d.ok('GET', `/campaigns/${fromTpl}`);
  assert.equal(c.status, 'draft');
  assert.deepEqual(c.document.activities.map((a) => a.id), ['src']);
  await page.getByRole('heading', { level: 1, name: c.name }).waitFor();
  // A template from scratch, from the Templates tab.
  await page.goto(`${d.url}/templates`);
  await page.getByRole('button', { name: 'Create template' }).click();
  const tdialog = page.getByRole('dialog', { name: 'Create template' });
  await tdialog.getByLabel('Name').fill('Scratch template');
  await tdialog.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('grid', { name: 'Templates' }).getByRole('row').filter({ hasText: 'Scratch template' }).waitFor();
  assert.equal((await d.ok('GET', '/templates')).items.filter((x) => x.name === 'Scratch template').length, 1);
  // The tabs switch with the URL, and back.
  await page.goto(`${d.url}/templates`);
  await page.getByRole('tab', { name: 'Multi-step campaigns' }).click();
  await page.getByRole('grid', { name: 'Multi-step campaigns' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.ok(tpl.id > 0);
});

test('a scheduled campaign\'s page lists its next 10 runs in the campaign\'s time zone', async () => {
  await open('/?q=Gamma');
  await page.getByRole('link', { name: 'Gamma weekly', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Gamma weekly' }).waitFor();
  const list = page.getByRole('list', { name: 'Next 10 runs' });
  await until(async () => (await list.getByRole('listitem').count()) === 10, { what: 'ten next runs' });
  const want = (await d.ok('GET', `/campaigns/${ids.gamma}/schedule/preview`)).next;
  const first = await list.getByRole('listitem').first().innerText();
  assert.match(first, /Mar 1, 2027.*9:00/, first);
  assert.equal(want[0].utc, '2027-03-01T08:00:00Z');
  // After the change to summer time (28 March 2027) still 9:00 in Paris.
  assert.match(await list.getByRole('listitem').nth(4).innerText(), /Mar 29, 2027.*9:00/);
});

test('switching to French relabels the screen (and the choice survives a reload)', async () => {
  await open('/?q=Gamma');
  await page.getByRole('button', { name: /Language/ }).click();
  await page.getByRole('option', { name: 'Français' }).click();
  await page.getByRole('heading', { level: 1, name: 'Campagnes à plusieurs étapes' }).waitFor();
  for (const n of ['Nom', 'Statut', 'Dernière exécution', 'Dernière modification', 'Prochaine exécution']) {
    await page.getByRole('columnheader', { name: n, exact: true }).waitFor();
  }
  await page.getByRole('tab', { name: 'Modèles' }).waitFor();
  await page.getByRole('searchbox', { name: 'Rechercher' }).waitFor();
  await row('Gamma weekly').getByText('En cours', { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  const next = await row('Gamma weekly').getByRole('gridcell').nth(3).innerText();
  assert.match(next, /1 mars 2027.*09:00/, next);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Campagnes à plusieurs étapes' }).waitFor();
  await page.getByRole('button', { name: /Langue/ }).click();
  await page.getByRole('option', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Multi-step campaigns' }).waitFor();
});

test('axe-core on the sign-in form and the Templates tab: no serious or critical violation', async () => {
  const check = async () => {
    await page.evaluate(AXE);
    return page.evaluate(async () => {
      const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(', ')}`);
    });
  };
  await open('/templates');
  await page.getByRole('grid', { name: 'Templates' }).getByRole('row').nth(1).waitFor();
  assert.deepEqual(await check(), []);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.deepEqual(await check(), []);
});

test('no script error in the browser console (CSP violations included)', () => {
  assert.deepEqual(consoleErrors, []);
});
