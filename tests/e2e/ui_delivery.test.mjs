// The campaign page's delivery summary and run choice (SPEC §6, issue 9 item 6) in a real
// browser (Debian's Chromium, playwright-core) against a real daemon sending to Postfix's
// smtp-sink: an email activity whose every message a rejecting sink failed shows the failed
// count the ledger (SQL over sw_deliveries) has; "Retry failed", once the sink is healthy,
// resends them and the summary then shows them sent; a confirm_before_send activity shows
// "Confirm" and confirming releases it; picking an older run in the history shows that run's
// counts on the graph (?run=ID, bookmarkable); axe-core on the page with the summary.
// STEPWISE_SCREENSHOT_DIR=docs/screenshots writes delivery.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AXE, openBrowser } from './lib/browser.mjs';
import { startDaemon, closeClean, addUser, until, qInt, qRows } from './lib/daemon.mjs';
import { makeTmp } from './lib/helpers.mjs';
import { noSink, startSink } from './lib/sink.mjs';


let d;
let ctx;
let page;
let closeBrowser;
let tmp;
let bad;
let good;
const consoleErrors = [];

before(async () => {
  if (noSink) return;
  tmp = makeTmp('sw-uideliv-');
  bad = await startSink(tmp.dir, ['-f', 'data']); // 5xx at DATA for every message
  d = await startDaemon({ profiles: 300, seed: 41, args: ['--smtp-url', bad.url, '--smtp-connections', '2'] });
  addUser(d.db, 'mia', 'editor', 'mia-password-1');
  // A refused action (409) is an answer the page shows; it is not a page error.
  ({ ctx, page, close: closeBrowser } = await openBrowser({ height: 1000, allowed: [401, 404, 409], errors: consoleErrors }));
});

after(async () => {
  if (closeBrowser) await closeBrowser();
  if (bad) await bad.stop();
  if (good) await good.stop();
  if (d) await closeClean(d);
  if (tmp) tmp.cleanup();
  assert.deepEqual(consoleErrors, [], 'no error in the browser console');
});

async function open(pathAndQuery) {
  await page.goto(`${d.url}${pathAndQuery}`);
  const form = page.getByRole('button', { name: 'Sign in' });
  await Promise.race([form.waitFor(), page.getByRole('grid').first().waitFor()]);
  if (await form.isVisible()) {
    await page.getByLabel('Username').fill('mia');
    await page.getByLabel('Password').fill('mia-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('grid').first().waitFor();
}

const mailDoc = (name, where, mailOpts = {}) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter: where },
    { id: 'mail', type: 'email', to_field: 'email', from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hi {{first_name}}', ...mailOpts },
    { id: 'done', type: 'end' },
  ],
  transitions: [{ from: 'aud', to: 'mail' }, { from: 'mail', to: 'done' }],
});

/** Ledger rows of a run's activity by state (SQL over sw_deliveries). */
function ledger(runId, act) {
  const out = { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: 0 };
  for (const r of qRows(d.db, `SELECT state, count(*) AS n FROM sw_deliveries WHERE run_id = ${runId} AND activity = '${act}' GROUP BY state`)) out[r.state] = r.n;
  return out;
}

const summaryRow = (act) => page.getByRole('grid', { name: 'Deliveries' }).locator(`[data-activity="${act}"]`);
const cell = async (act, k) => Number((await summaryRow(act).locator(`[data-k="${k}"]`).innerText()).replace(/\D/g, ''));
const edgeCounts = async () => (await page.locator('.edge-count').allTextContents()).map((s) => s.replace(/[\s,\u202f]/g, '')).sort();

async function axe() {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.html).join(', ')}`);
  });
}

test('the delivery summary shows the failed rows of the ledger; Retry failed resends them to a healthy sink and they show as sent; axe-core passes', { skip: noSink }, async () => {
  const c = await d.ok('POST', '/campaigns', mailDoc('Rejected mail', { field: 'country', op: 'eq', value: 'FR' }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  await d.waitCampaign(c.id, ['completed']);
  const run = d.lastRunId(c.id);
  const l1 = ledger(run, 'mail');
  assert.ok(l1.failed > 0 && l1.sent === 0, `the rejecting sink failed every message: ${JSON.stringify(l1)}`);

  await open(`/campaigns/${c.id}`);
  await page.getByRole('heading', { level: 1, name: 'Rejected mail' }).waitFor();
  await summaryRow('mail').waitFor();
  assert.equal(await cell('mail', 'failed'), l1.failed, 'failed = SQL over sw_deliveries');
  assert.equal(await cell('mail', 'sent'), 0);
  const api = (await d.ok('GET', `/runs/${run}/tasks`, null, d.tokens.viewer)).items.find((t) => t.activity === 'mail').delivery;
  assert.equal(await cell('mail', 'targeted'), api.targeted);
  const skippedText = await summaryRow('mail').locator('[data-k="skipped"]').innerText();
  for (const [reason, n] of Object.entries(api.skipped)) {
    if (n > 0) assert.ok(skippedText.includes(`${reason.replace(/_/g, ' ')}: ${n}`), `${reason} in “${skippedText}”`);
  }
  assert.equal(await summaryRow('aud').count(), 0, 'a targeting activity has no delivery row');
  assert.deepEqual(await axe(), [], 'axe-core on the page with the delivery summary');
  if (process.env.STEPWISE_SCREENSHOT_DIR) {
    await page.setViewportSize({ width: 1440, height: 1100 });
    await page.locator('#deliveries').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await page.screenshot({ path: path.join(process.env.STEPWISE_SCREENSHOT_DIR, 'delivery.png') });
    await page.setViewportSize({ width: 1440, height: 1000 });
  }

  // A healthy sink on the same port, then Retry failed (asked first).
  await bad.stop();
  good = await startSink(tmp.dir, [], bad.port);
  bad = null;
  await summaryRow('mail').getByRole('button', { name: 'Retry failed' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Retry failed' }).click();
  await until(async () => (await cell('mail', 'sent')) === l1.failed && (await cell('mail', 'failed')) === 0, { timeoutMs: 30_000, what: 'the summary to show the resent messages as sent' });
  await until(() => ledger(run, 'mail').sent === l1.failed, { timeoutMs: 30_000, what: 'the ledger' });
  assert.deepEqual(ledger(run, 'mail'), { ...l1, failed: 0, sent: l1.failed });
  await until(() => fs.readdirSync(good.dir).length === l1.failed, { timeoutMs: 30_000, what: 'one message per failed address in the sink' });
  assert.equal(await summaryRow('mail').getByRole('button', { name: 'Retry failed' }).count(), 0, 'nothing left to retry');
  // French labels.
  await page.getByRole('button', { name: /Language/ }).click();
  await page.getByRole('option', { name: 'Français' }).click();
  const fr = page.getByRole('grid', { name: 'Envois' });
  await fr.waitFor();
  for (const n of ['Ciblés', 'En attente', 'Envoyés', 'Échecs', 'Inconnus', 'Ignorés']) await fr.getByRole('columnheader', { name: n, exact: true }).waitFor();
  if (api.skipped.missing_address > 0) await fr.getByText(/adresse manquante/).waitFor();
  await page.getByRole('button', { name: /Langue/ }).click();
  await page.getByRole('option', { name: 'English' }).click();
  await page.getByRole('grid', { name: 'Deliveries' }).waitFor();
});

test('a confirm_before_send activity shows Confirm; confirming releases the messages', { skip: noSink }, async () => {
  assert.ok(good, 'runs after the retry test (a healthy sink)');
  const c = await d.ok('POST', '/campaigns', mailDoc('Held mail', { field: 'country', op: 'eq', value: 'DE' }, { confirm_before_send: true }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const run = await until(() => d.lastRunId(c.id), { what: 'the run' });
  await until(() => ledger(run, 'mail').pending > 0, { what: 'the ledger to be written' });
  const held = ledger(run, 'mail');
  const before = fs.readdirSync(good.dir).length;
  await open(`/campaigns/${c.id}`);
  await summaryRow('mail').getByText('Held for confirmation').waitFor();
  assert.equal(await cell('mail', 'pending'), held.pending);
  await summaryRow('mail').getByRole('button', { name: 'Confirm' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Send mail now?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await until(async () => (await cell('mail', 'sent')) === held.pending && (await cell('mail', 'pending')) === 0, { timeoutMs: 30_000, what: 'the summary to show the released messages sent' });
  await d.waitCampaign(c.id, ['completed']);
  assert.equal(ledger(run, 'mail').sent, held.pending);
  await until(() => fs.readdirSync(good.dir).length === before + held.pending, { timeoutMs: 30_000, what: 'the released messages in the sink' });
  assert.equal(await summaryRow('mail').getByRole('button', { name: 'Confirm' }).count(), 0, 'no Confirm once released');
  // Confirming again is refused by the API; its message is what the page would show.
  const again = await d.api('POST', `/runs/${run}/activities/mail/confirm`, null, d.tokens.editor);
  assert.equal(again.status, 409);
});

test('a refused Confirm shows the API\'s message (the send was released elsewhere meanwhile)', { skip: noSink }, async () => {
  const c = await d.ok('POST', '/campaigns', mailDoc('Held twice', { field: 'country', op: 'eq', value: 'ES' }, { confirm_before_send: true }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const run = await until(() => d.lastRunId(c.id), { what: 'the run' });
  await until(() => ledger(run, 'mail').pending > 0, { what: 'the ledger to be written' });
  await open(`/campaigns/${c.id}`);
  await summaryRow('mail').getByRole('button', { name: 'Confirm' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Send mail now?' });
  await dialog.waitFor();
  // Someone else confirms first, and the send completes.
  await d.ok('POST', `/runs/${run}/activities/mail/confirm`, null, d.tokens.editor);
  await d.waitCampaign(c.id, ['completed']);
  const refused = await d.api('POST', `/runs/${run}/activities/mail/confirm`, null, d.tokens.editor);
  assert.equal(refused.status, 409);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  const alert = page.locator('#deliveries').getByRole('alert');
  await alert.waitFor();
  assert.ok((await alert.innerText()).includes(refused.json.error.message), `the API's message “${refused.json.error.message}” in “${await alert.innerText()}”`);
  await until(async () => (await cell('mail', 'sent')) === ledger(run, 'mail').sent && (await cell('mail', 'pending')) === 0, { what: 'the page data refreshed' });
});

test('picking an older run in the history shows its counts on the graph, its deliveries and its logs; the URL keeps it', { skip: noSink }, async () => {
  const doc = (max) => mailDoc('Two runs', { field: 'id', op: 'le', value: max });
  const c = await d.ok('POST', '/campaigns', doc(40), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  await d.waitCampaign(c.id, ['completed']);
  const run1 = d.lastRunId(c.id);
  await d.ok('PUT', `/campaigns/${c.id}`, doc(120), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  await until(() => d.lastRunId(c.id) > run1, { what: 'the second run' });
  await d.waitCampaign(c.id, ['completed']);
  const run2 = d.lastRunId(c.id);
  const want = async (run) => {
    const ts = (await d.ok('GET', `/runs/${run}/tasks`, null, d.tokens.viewer)).items;
    const n = (a, port) => ts.find((t) => t.activity === a).counts[port];
    return { edges: [String(n('aud', 'out')), String(n('mail', 'out'))].sort(), sent: ts.find((t) => t.activity === 'mail').delivery.sent };
  };
  const w1 = await want(run1);
  const w2 = await want(run2);
  assert.notDeepEqual(w1.edges, w2.edges, 'the two runs have different counts');

  await open(`/campaigns/${c.id}`);
  await page.getByText(`Latest run #${run2}: Completed`).waitFor();
  await until(async () => JSON.stringify(await edgeCounts()) === JSON.stringify(w2.edges), { what: 'the latest run\'s counts' });
  await page.getByRole('grid', { name: 'Run history' }).getByRole('link', { name: `Show run #${run1}` }).click();
  await page.getByText(`Run #${run1}: Completed`).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('run'), String(run1));
  await until(async () => JSON.stringify(await edgeCounts()) === JSON.stringify(w1.edges), { what: 'the older run\'s counts on the graph' });
  await until(async () => (await cell('mail', 'sent')) === w1.sent, { what: 'the older run\'s deliveries' });
  assert.equal(await cell('mail', 'sent'), qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${run1} AND activity = 'mail' AND state = 'sent'`));
  // The logs follow the run shown (the run filter names it).
  await page.getByRole('button', { name: new RegExp(`Run #${run1}`) }).first().waitFor();
  // A bookmark of the URL comes back to the same run.
  await page.reload();
  await page.getByText(`Run #${run1}: Completed`).waitFor();
  await until(async () => JSON.stringify(await edgeCounts()) === JSON.stringify(w1.edges), { what: 'the older run\'s counts after a reload' });
  // Back to the latest.
  await page.getByRole('button', { name: 'Show the latest run' }).click();
  await page.getByText(`Latest run #${run2}: Completed`).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('run'), null);
  await until(async () => JSON.stringify(await edgeCounts()) === JSON.stringify(w2.edges), { what: 'the latest counts again' });
});
