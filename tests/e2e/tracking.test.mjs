// Open and click tracking (issue 13, parts 5 and 6) with real parts: an email activity with
// "tracking": {"opens": true, "clicks": true} sends to Postfix's smtp-sink; the messages are read
// as MIME; their rewritten links are followed through the public listener as a browser does
// (302 to the original URL, the &amp; of the HTML decoded), the pixel is loaded by a browser,
// by Apple's prefetch and by a scanner; a tampered link is a 404. The delivery report and
// /metrics are checked against what the test did and against SQL over the ledger; a bounce and an
// unsubscribe show in the report; a person's events are erased; no client address is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AXE, openBrowser } from './lib/browser.mjs';
import { startDaemon, closeClean, addUser, until, q, qInt } from './lib/daemon.mjs';
import { makeTmp } from './lib/helpers.mjs';
import { parseMime } from './lib/mime.mjs';
import { noSink, startSink, freePort, dumps, rcptOf } from './lib/sink.mjs';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
let tmp, sink, d, pub;
before(async () => {
  tmp = makeTmp('sw-track-');
  if (noSink) return;
  sink = await startSink(tmp.dir, []);
  const port = await freePort();
  pub = `http://127.0.0.1:${port}`;
  d = await startDaemon({ profiles: 200, seed: 96, args: ['--smtp-url', sink.url, '--public-listen', `127.0.0.1:${port}`, '--public-url', pub] });
});
after(async () => {
  if (d) await closeClean(d);
  if (sink) await sink.stop();
  tmp.cleanup();
});

const HTML =
  '<html><body><p>Hello {{first_name}},</p>' +
  '<p><a href="https://shop.example/sale?c=spring&amp;u={{id}}">the sale</a> and ' +
  '<a href=\'https://shop.example/new\'>what is new</a>.</p>' +
  '<p><a href="mailto:help@shop.example">help</a> <a href="{{unsubscribe_url}}">unsubscribe</a></p></body></html>';

const doc = (name, tracking) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter: { field: 'id', op: 'le', value: 30 } },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Spring', html: HTML, text: 'Hello.', ...(tracking ? { tracking } : {}) },
  ],
  transitions: [{ from: 'aud', to: 'mail' }],
});

async function send(name, tracking) {
  const before = dumps(sink.dir).length;
  const c = await d.ok('POST', '/campaigns', doc(name, tracking), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  const r = await d.waitRun(runId, ['completed', 'failed'], 60_000);
  assert.equal(r.status, 'completed', JSON.stringify(r));
  const sent = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  await until(() => dumps(sink.dir).length >= before + sent, { what: 'the messages' });
  return { runId, sent };
}

/** The messages of one run in the sink: recipient, Message-ID and HTML part. */
function messagesOf(runId) {
  return dumps(sink.dir)
    .map((raw) => ({ to: rcptOf(raw), m: parseMime(raw) }))
    .filter(({ m }) => (m.headers['message-id'] || '').startsWith(`<${runId}.`))
    .map(({ to, m }) => ({ to, id: m.headers['message-id'], html: m.parts.find((p) => p.type === 'text/html').text }));
}

const clickLinks = (html) => [...html.matchAll(/href="([^"]*\/c\/[A-Za-z0-9_-]+)"/g)].map((x) => x[1]);
const pixel = (html) => (/<img src="([^"]*\/o\/[A-Za-z0-9_-]+)"/.exec(html) || [])[1];
const report = (runId) => d.ok('GET', `/runs/${runId}/activities/mail/report`, null, d.tokens.viewer);

let run, msgs;

test('tracked messages: links through signed redirects, one pixel, the rest of the HTML as written', { skip: noSink }, async () => {
  run = await send('Spring sale', { opens: true, clicks: true });
  msgs = messagesOf(run.runId);
  assert.equal(msgs.length, run.sent);
  for (const m of msgs) {
    const links = clickLinks(m.html);
    assert.equal(links.length, 2, m.html);
    assert.ok(links.every((l) => l.startsWith(`${pub}/c/`)));
    assert.ok(pixel(m.html).startsWith(`${pub}/o/`));
    assert.ok(m.html.includes('<a href="mailto:help@shop.example">help</a>'), 'mailto: left as written');
    assert.match(m.html, new RegExp(`<a href="${pub.replace(/[.]/g, '\\.')}/u/[A-Za-z0-9_-]{36}">unsubscribe</a>`), 'the unsubscribe link is not tracked');
    assert.ok(m.html.indexOf('<img') < m.html.indexOf('</body>'));
  }
  assert.equal(new Set(msgs.map((m) => clickLinks(m.html)[0])).size, msgs.length, 'one link per message');
});

test('a click: 302 to the original URL; a tampered link is a 404; opens by a browser, Apple prefetch and a scanner', { skip: noSink }, async () => {
  const [a, b, c, e] = msgs;
  const idOf = (m) => qInt(d.db, `SELECT id FROM sw_deliveries WHERE run_id = ${run.runId} AND address_key = '${m.to}' AND state = 'sent'`);
  const profileOf = (m) => q(d.db, `SELECT recipient FROM sw_deliveries WHERE id = ${idOf(m)}`);
  const [sale] = clickLinks(a.html);
  for (let i = 0; i < 2; i++) {
    const r = await fetch(sale, { redirect: 'manual', headers: { 'User-Agent': BROWSER } });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), `https://shop.example/sale?c=spring&u=${profileOf(a)}`);
    assert.equal(r.headers.get('cache-control'), 'no-store, private');
  }
  // tampered: one character of the token changed, or cut
  const tok = sale.split('/c/')[1];
  const bad = tok.slice(0, 20) + (tok[20] === 'A' ? 'B' : 'A') + tok.slice(21);
  assert.equal((await fetch(`${pub}/c/${bad}`, { redirect: 'manual' })).status, 404);
  assert.equal((await fetch(`${pub}/c/${tok.slice(0, -2)}`, { redirect: 'manual' })).status, 404);
  assert.equal((await fetch(`${pub}/o/${tok}`)).status, 404, 'a click token is not an open token');
  // opens: a's browser, b's browser, c only by Apple's prefetch (a machine)
  for (const [m, ua] of [[a, BROWSER], [b, BROWSER], [c, 'Mozilla/5.0']]) {
    const r = await fetch(pixel(m.html), { headers: { 'User-Agent': ua } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/gif');
    assert.equal(Buffer.from(await r.arrayBuffer()).subarray(0, 6).toString(), 'GIF89a');
  }
  // a security scanner checks e's second link with HEAD
  const scan = await fetch(clickLinks(e.html)[1], { method: 'HEAD', redirect: 'manual', headers: { 'User-Agent': BROWSER } });
  assert.equal(scan.status, 302);

  const want = { unique_opens: 2, machine_opens: 1, unique_clicks: 1, clicks: 2, machine_clicks: 1 };
  const r = await until(async () => {
    const x = await report(run.runId);
    return x.machine_clicks === 1 && x.clicks === 2 && x.machine_opens === 1 ? x : null;
  }, { what: 'the events recorded' });
  for (const [k, v] of Object.entries(want)) assert.equal(r[k], v, k);
  assert.deepEqual(r.links, [
    { link: 1, url: `https://shop.example/sale?c=spring&u=${profileOf(a)}`, unique_clicks: 1, clicks: 2 },
    { link: 2, url: 'https://shop.example/new', unique_clicks: 0, clicks: 0 },
  ]);
  // the ledger's own counts, from SQL
  assert.equal(r.sent, run.sent);
  assert.equal(r.targeted, qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${run.runId} AND activity = 'mail'`));
  assert.equal(r.skipped, qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${run.runId} AND activity = 'mail' AND state = 'skipped'`));
  assert.equal(r.delivered, run.sent);
  // the events, as stored: first/last times, counts, and no client address
  assert.equal(q(d.db, `SELECT count || ' ' || human_count || ' ' || (last_at >= first_at) FROM sw_tracking WHERE delivery_id = ${idOf(a)} AND kind = 'c'`), '2 2 1');
  assert.equal(q(d.db, `SELECT machine_reason FROM sw_tracking WHERE delivery_id = ${idOf(c)} AND kind = 'o'`), 'Apple Mail Privacy Protection prefetch');
  assert.equal(q(d.db, `SELECT machine_reason FROM sw_tracking WHERE delivery_id = ${idOf(e)} AND kind = 'c'`), 'HEAD request');
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_tracking WHERE ip IS NOT NULL'), 0, 'no IP address kept without track_ip');
});

test('a bounce and an unsubscribe show in the report; /metrics has the totals', { skip: noSink }, async () => {
  const [, , , , f, g] = msgs;
  await d.ok('POST', '/feedback', { type: 'bounce', bounce_type: 'hard', recipient: f.to }, d.tokens.editor);
  const unsub = (/href="([^"]*\/u\/[A-Za-z0-9_-]+)"/.exec(g.html) || [])[1];
  assert.equal((await fetch(unsub, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status, 200);
  const r = await report(run.runId);
  assert.equal(r.bounced, 1);
  assert.equal(r.hard_bounced, 1);
  assert.equal(r.delivered, run.sent - 1);
  assert.equal(r.unsubscribed, 1);
  assert.equal(r.complained, 0);
  const metrics = await (await fetch(`${d.url}/api/v1/metrics`, { headers: { Authorization: `Bearer ${d.tokens.viewer}` } })).text();
  const metric = (name) => Number((new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics) || [])[1]);
  assert.equal(metric('stepwise_tracking_requests{kind="open",agent="person"}'), 2);
  assert.equal(metric('stepwise_tracking_requests{kind="open",agent="machine"}'), 1);
  assert.equal(metric('stepwise_tracking_requests{kind="click",agent="person"}'), 2);
  assert.equal(metric('stepwise_tracking_requests{kind="click",agent="machine"}'), 1);
  assert.equal(metric('stepwise_messages_engaged{event="opened"}'), 2);
  assert.equal(metric('stepwise_messages_engaged{event="clicked"}'), 1);
  assert.equal(metric('stepwise_unsubscribes'), qInt(d.db, "SELECT count(*) FROM sw_suppressions WHERE reason = 'unsubscribe'"));
  assert.equal(metric('stepwise_tracking_dropped_total'), 0);
});

test('erasing a person: DELETE /tracking/{address} (admin) removes their events, the ledger stays', { skip: noSink }, async () => {
  const a = msgs[0];
  assert.equal((await d.api('DELETE', `/tracking/${encodeURIComponent(a.to)}`, null, d.tokens.editor)).status, 403);
  const rows = qInt(d.db, `SELECT count(*) FROM sw_tracking t JOIN sw_deliveries x ON x.id = t.delivery_id WHERE x.address_key = '${a.to}'`);
  assert.equal(rows, 2, 'an open and a click');
  const r = await d.api('DELETE', `/tracking/${encodeURIComponent(a.to.toUpperCase())}`, null, d.tokens.admin);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { address: a.to.toUpperCase(), erased: 2 });
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tracking t JOIN sw_deliveries x ON x.id = t.delivery_id WHERE x.address_key = '${a.to}'`), 0);
  const rep = await report(run.runId);
  assert.equal(rep.unique_clicks, 0);
  assert.equal(rep.unique_opens, 1);
  assert.equal(rep.sent, run.sent, 'the ledger is not touched');
});

test('the campaign page shows the report under "After the send", in English and French; axe-core finds nothing serious', { skip: noSink }, async () => {
  addUser(d.db, 'mia', 'editor', 'mia-password-1');
  const errors = [];
  const { page, close } = await openBrowser({ height: 1200, allowed: [401], errors });
  try {
    const campaignId = qInt(d.db, `SELECT campaign_id FROM sw_runs WHERE id = ${run.runId}`);
    await page.goto(`${d.url}/campaigns/${campaignId}?run=${run.runId}`);
    await page.getByLabel('Username').fill('mia');
    await page.getByLabel('Password').fill('mia-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.getByRole('grid', { name: 'After the send' }).locator('[data-activity="mail"]');
    await row.waitFor();
    const r = await report(run.runId);
    const cell = async (k) => (await row.locator(`[data-k="${k}"]`).innerText()).replace(/\s+/g, ' ');
    const lead = async (k) => Number((await cell(k)).split('(')[0].replace(/\D/g, ''));
    assert.equal(await lead('delivered'), r.delivered);
    assert.equal(await lead('bounced'), r.bounced);
    assert.equal(await lead('unsubscribed'), r.unsubscribed);
    assert.equal(await lead('opens'), r.unique_opens);
    assert.match(await cell('opens'), /\+1 by machines/);
    assert.equal(await lead('clicks'), r.unique_clicks);
    assert.match(await cell('delivered'), /\(\d+(\.\d)?%\)/);
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const x = await globalThis.axe.run(document, { resultTypes: ['violations'] });
      return x.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
    });
    assert.deepEqual(violations, []);
    if (process.env.STEPWISE_SCREENSHOT_DIR) await page.locator('#engagement').screenshot({ path: `${process.env.STEPWISE_SCREENSHOT_DIR}/engagement.png` });
    await page.getByRole('button', { name: /Language/ }).click();
    await page.getByRole('option', { name: 'Français' }).click();
    const fr = page.getByRole('grid', { name: 'Après l\'envoi' }).locator('[data-activity="mail"] [data-k="opens"]');
    assert.match(await fr.innerText(), /\+1 par des robots/);
  } finally {
    await close();
  }
  assert.deepEqual(errors, []);
});

test('without "tracking" the HTML is sent as written; the report of an unknown activity is a 404', { skip: noSink }, async () => {
  const plain = await send('Plain', null);
  for (const m of messagesOf(plain.runId)) {
    assert.equal(clickLinks(m.html).length, 0);
    assert.equal(pixel(m.html), undefined);
    assert.ok(m.html.includes('<a href="https://shop.example/sale?c=spring&amp;u='), m.html);
  }
  const r = await report(plain.runId);
  assert.equal(r.unique_opens, 0);
  assert.equal((await d.api('GET', `/runs/${plain.runId}/activities/nope/report`, null, d.tokens.viewer)).status, 404);
  assert.equal((await d.api('GET', `/runs/${plain.runId}/activities/aud/report`, null, d.tokens.viewer)).status, 404);
  assert.equal((await d.api('GET', '/runs/999999/activities/mail/report', null, d.tokens.viewer)).status, 404);
  const bad = await d.api('POST', '/campaigns', { ...doc('Bad', { opens: 'yes', pixels: true }) }, d.tokens.editor);
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.json.error.details.map((x) => x.path).sort(), ['$.activities[1].tracking.opens', '$.activities[1].tracking.pixels']);
});
