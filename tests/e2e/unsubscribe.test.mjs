// One-click unsubscribe (RFC 8058) through the public listener (settings public_listen,
// public_url): messages sent to Postfix's smtp-sink carry List-Unsubscribe and
// List-Unsubscribe-Post; the URL taken from a real message is POSTed as a mailbox provider does;
// the next campaign skips that address. A forged token is a 404, the page speaks the
// recipient's language, and nothing of the admin API is reachable on the public listener.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, closeClean, until, q, qInt, sleep } from './lib/daemon.mjs';
import { makeTmp } from './lib/helpers.mjs';
import { noSink, startSink, freePort } from './lib/sink.mjs';

let tmp, sink, d, pub;
before(async () => {
  tmp = makeTmp('sw-unsub-');
  if (noSink) return;
  sink = await startSink(tmp.dir, []);
  const port = await freePort();
  pub = `http://127.0.0.1:${port}`;
  d = await startDaemon({ profiles: 200, seed: 95, args: ['--smtp-url', sink.url, '--public-listen', `127.0.0.1:${port}`, '--public-url', pub] });
});
after(async () => {
  if (d) await closeClean(d);
  if (sink) await sink.stop();
  tmp.cleanup();
});

const mailDoc = (name) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter: { field: 'id', op: 'le', value: 40 } },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'News', text: 'Hello.\nUnsubscribe: {{unsubscribe_url}}' },
  ],
  transitions: [{ from: 'aud', to: 'mail' }],
});

async function send(name) {
  const c = await d.ok('POST', '/campaigns', mailDoc(name), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  const r = await d.waitRun(runId, ['completed', 'failed'], 60_000);
  assert.equal(r.status, 'completed', JSON.stringify(r));
  return runId;
}

/** The messages in the sink: their To, List-Unsubscribe and body, unfolded. */
function messages() {
  return readdirSync(sink.dir).map((f) => {
    const text = readFileSync(path.join(sink.dir, f), 'utf8').replace(/\r\n/g, '\n');
    const head = text.split('\n\n')[0].replace(/\n[ \t]+/g, ' ');
    const h = (name) => (new RegExp(`^${name}: (.*)$`, 'mi').exec(head) || [])[1];
    return { to: h('To'), unsub: h('List-Unsubscribe'), post: h('List-Unsubscribe-Post'), body: text.slice(head.length) };
  });
}

test('List-Unsubscribe from a real message, POSTed as a mailbox provider does: the address is suppressed and skipped next time', { skip: noSink }, async () => {
  const run1 = await send('First news');
  const sent = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${run1} AND state = 'sent'`);
  await until(() => readdirSync(sink.dir).length >= sent, { what: 'the messages' });
  const msgs = messages();
  assert.equal(msgs.length, sent);
  for (const m of msgs) {
    assert.match(m.unsub, new RegExp(`^<${pub.replace(/[.]/g, '\\.')}/u/[A-Za-z0-9_-]{36}>$`), m.unsub);
    assert.equal(m.post, 'List-Unsubscribe=One-Click');
    // {{unsubscribe_url}} in the text is the same link (quoted-printable may wrap it)
    const url = m.unsub.slice(1, -1);
    assert.ok(m.body.replace(/=\n/g, '').includes(url), 'the body carries the same link');
  }
  assert.equal(new Set(msgs.map((m) => m.unsub)).size, msgs.length, 'one link per message');
  const target = msgs[0];
  const url = target.unsub.slice(1, -1);

  // The page, in the recipient's language, with the button.
  const page = await fetch(url, { headers: { 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.5' } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<html lang="fr">/);
  assert.match(html, /Me désabonner/);
  assert.match(html, /<input type="hidden" name="List-Unsubscribe" value="One-Click">/);
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_suppressions'), 0, 'a GET changes nothing');

  // The one-click POST (RFC 8058), as Gmail sends it.
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /You are unsubscribed/);
  const row = qInt(d.db, `SELECT id FROM sw_deliveries WHERE run_id = ${run1} AND address = '${target.to}' AND state = 'sent'`);
  assert.equal(q(d.db, `SELECT reason || ' ' || delivery_id FROM sw_suppressions WHERE address_key = lower('${target.to}')`), `unsubscribe ${row}`);
  // Again: still fine, still one row.
  assert.equal((await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status, 200);
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_suppressions'), 1);

  const before = readdirSync(sink.dir).length;
  const run2 = await send('Second news');
  assert.equal(q(d.db, `SELECT error FROM sw_deliveries WHERE run_id = ${run2} AND address = '${target.to}' AND reason = 'suppressed'`), 'suppressed: unsubscribe');
  const sent2 = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${run2} AND state = 'sent'`);
  assert.equal(sent2, sent - 1);
  await until(() => readdirSync(sink.dir).length >= before + sent2, { what: 'the second send' });
  await sleep(300);
  assert.equal(messages().filter((m) => m.to === target.to).length, 1, 'only the first message reached the unsubscribed address');
});

test('the public listener: forged tokens are 404, nothing of the admin API is there, a POST without the one-click body is refused', { skip: noSink }, async () => {
  const any = messages()[0].unsub.slice(1, -1);
  const token = any.split('/u/')[1];
  const forged = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
  assert.equal((await fetch(`${pub}/u/${forged}`)).status, 404);
  assert.equal((await fetch(`${pub}/u/${forged}`, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status, 404);
  for (const p of ['/api/v1/campaigns', '/api/v1/openapi.json', '/healthz', '/metrics', '/', '/u/', `/u/${token}/x`]) {
    assert.equal((await fetch(`${pub}${p}`, { headers: { Authorization: `Bearer ${d.tokens.admin}` } })).status, 404, p);
  }
  const noBody = await fetch(any, { method: 'POST', body: 'hello' });
  assert.equal(noBody.status, 400);
  assert.equal((await fetch(any, { method: 'DELETE' })).status, 405);
  // The admin listener does not serve the links either.
  assert.equal((await fetch(`${d.url}/u/${token}`)).headers.get('content-type').startsWith('text/html'), true, 'the UI answers client paths');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_suppressions WHERE created_by = 'public listener'`), 1);
});

test('the public listener is rate-limited per client: 429 with Retry-After', { skip: noSink }, async () => {
  let limited = null;
  for (let i = 0; i < 40 && !limited; i++) {
    const r = await fetch(`${pub}/u/nothing`);
    if (r.status === 429) limited = r;
  }
  assert.ok(limited, 'a burst gets 429');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
});

test('stepwise secret rotate: links already sent keep working, new messages use the new secret', { skip: noSink }, async () => {
  const { sw } = await import('./lib/helpers.mjs');
  const old = messages()[0].unsub.slice(1, -1);
  const r = sw(['secret', 'rotate', '--data', d.db]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /secret 2 signs/);
  await d.restart();
  await sleep(1100); // a fresh rate-limit window for this client after the burst test
  assert.equal((await fetch(old)).status, 200, 'an old link still verifies');
  const seen = new Set(messages().map((m) => m.unsub));
  await send('After the rotation');
  await until(() => messages().length >= seen.size + 1, { what: 'new messages' });
  const fresh = messages().filter((m) => !seen.has(m.unsub));
  assert.ok(fresh.length > 0);
  // The key id is the token's first two bytes: AAF… for key 1, AAJ… for key 2.
  assert.ok(old.split('/u/')[1].startsWith('AAF'), old);
  assert.ok(fresh.every((m) => m.unsub.split('/u/')[1].startsWith('AAJ')), fresh[0].unsub);
  assert.equal((await fetch(fresh[0].unsub.slice(1, -1))).status, 200);
});
