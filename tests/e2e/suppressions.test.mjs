// The suppression list (docs/ARCHITECTURE.md "Suppressions"): addresses added through the API
// or the CLI (one by one or a CSV import) get no message from any campaign, their ledger rows
// skipped with reason "suppressed" and the cause; one added during a send stops at once.
// Real parts: the daemon and Postfix's smtp-sink; expectations computed with SQL over profiles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, closeClean, until, q, qInt, sleep } from './lib/daemon.mjs';
import { makeTmp, sw } from './lib/helpers.mjs';
import { noSink, startSink, rcpts } from './lib/sink.mjs';

let tmp, sink, d;
before(async () => {
  tmp = makeTmp('sw-supp-');
  if (noSink) return;
  sink = await startSink(tmp.dir, []);
  d = await startDaemon({ profiles: 300, seed: 81, args: ['--smtp-url', sink.url, '--smtp-connections', '2'] });
});
after(async () => {
  if (d) await closeClean(d);
  if (sink) await sink.stop();
  tmp.cleanup();
});

const mailDoc = (name, maxId, extra = {}) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter: { field: 'id', op: 'le', value: maxId } },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi', text: 'Hi', ...extra },
  ],
  transitions: [{ from: 'aud', to: 'mail' }],
});

const emails = (where) => q(d.db, `SELECT DISTINCT lower(trim(email)) FROM profiles WHERE (${where}) AND trim(coalesce(email, '')) <> '' ORDER BY 1`).split('\n').filter(Boolean);

async function run(doc) {
  const c = await d.ok('POST', '/campaigns', doc, d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  return { c, runId };
}

test('suppressed through the API and the CLI: no message, ledger reason suppressed with the cause; search, paging, lifting', { skip: noSink }, async () => {
  const all = emails('id <= 120');
  const [a1, a2, a3, a4] = all;
  // API: editor adds (201, then 200 for the same address), viewer may not, a bad body is 422.
  const added = await d.ok('POST', '/suppressions', { address: a1.toUpperCase(), reason: 'hard_bounce', detail: '550 5.1.1' }, d.tokens.editor, 201);
  assert.equal(added.added, true);
  assert.equal(added.channel, 'email');
  assert.equal((await d.ok('POST', '/suppressions', { address: a1 }, d.tokens.editor, 200)).added, false);
  assert.equal((await d.api('POST', '/suppressions', { address: a2 }, d.tokens.viewer)).status, 403);
  const bad = await d.api('POST', '/suppressions', { address: '', channel: 'fax', colour: 1 }, d.tokens.editor);
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.json.error.details.map((x) => x.path).sort(), ['$.address', '$.channel', '$.colour']);
  // CLI: two addresses, and a CSV file.
  const r = sw(['suppress', a2, a3, '--reason', 'unsubscribe', '--data', d.db]);
  assert.equal(r.status, 0, r.stderr);
  const csv = path.join(tmp.dir, 'list.csv');
  writeFileSync(csv, `address,channel,reason\n${a4},email,complaint\nsomeone@else.example,sms,\n`);
  const imp = sw(['suppress', '--import', csv, '--data', d.db]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /2 addresses suppressed, 0 already were/);
  assert.equal(sw(['suppress', '--data', d.db]).status, 2, 'no address and no mode: a usage error');
  assert.equal(sw(['suppress', 'x@y', '--channel', 'fax', '--data', d.db]).status, 2);

  const { runId } = await run(mailDoc('With suppressions', 120));
  const done = await d.waitRun(runId, ['completed', 'failed'], 60_000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const suppressed = [a1, a2, a3, a4];
  await until(() => readdirSync(sink.dir).length >= all.length - 4, { what: 'the messages' });
  await sleep(300);
  const got = rcpts(sink.dir).map((x) => x.trim().toLowerCase()).sort();
  assert.deepEqual(got, all.filter((x) => !suppressed.includes(x)), 'everyone but the suppressed, once');
  assert.deepEqual(q(d.db, `SELECT address_key || ' ' || error FROM sw_deliveries WHERE run_id = ${runId} AND reason = 'suppressed' ORDER BY address_key`).split('\n'),
    [`${a1} suppressed: hard_bounce`, `${a2} suppressed: unsubscribe`, `${a3} suppressed: unsubscribe`, `${a4} suppressed: complaint`].sort());
  const tasks = await d.ok('GET', `/runs/${runId}/tasks`, null, d.tokens.viewer);
  assert.equal((tasks.items || tasks).find((t) => t.activity === 'mail').delivery.skipped.suppressed, 4);

  // The list: search by prefix, filter, paging.
  const page1 = await d.ok('GET', '/suppressions?limit=2', null, d.tokens.viewer);
  assert.equal(page1.items.length, 2);
  const page2 = await d.ok('GET', `/suppressions?limit=2&cursor=${encodeURIComponent(page1.next_cursor)}`, null, d.tokens.viewer);
  const page3 = await d.ok('GET', `/suppressions?limit=2&cursor=${encodeURIComponent(page2.next_cursor)}`, null, d.tokens.viewer);
  assert.equal(page3.next_cursor, null);
  const listed = [...page1.items, ...page2.items, ...page3.items].map((x) => `${x.channel}:${x.address.toLowerCase()}`);
  assert.equal(listed.length, qInt(d.db, 'SELECT count(*) FROM sw_suppressions'));
  assert.equal(new Set(listed).size, listed.length);
  const found = await d.ok('GET', `/suppressions?q=${encodeURIComponent(a1.slice(0, 4).toUpperCase())}`, null, d.tokens.viewer);
  assert.ok(found.items.length >= 1 && found.items.every((x) => x.address.toLowerCase().startsWith(a1.slice(0, 4))));
  assert.deepEqual((await d.ok('GET', '/suppressions?channel=sms', null, d.tokens.viewer)).items.map((x) => x.address), ['someone@else.example']);
  assert.equal((await d.api('GET', '/suppressions?reason=bogus', null, d.tokens.viewer)).status, 400);
  // Lifting: admin only; then the address is messaged again.
  assert.equal((await d.api('DELETE', `/suppressions/${encodeURIComponent(a1)}`, null, d.tokens.editor)).status, 403);
  await d.ok('DELETE', `/suppressions/${encodeURIComponent(a1)}`, null, d.tokens.admin);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_suppressions WHERE address_key = '${a1}'`), 0);
  assert.equal((await d.api('DELETE', `/suppressions/${encodeURIComponent(a1)}`, null, d.tokens.admin)).status, 404);
  const list = sw(['suppress', '--list', '--json', '--data', d.db]);
  assert.equal(list.status, 0);
  assert.ok(!list.stdout.includes(`"${a1}"`));
});

test('an address suppressed while its campaign is sending gets nothing from then on', { skip: noSink }, async () => {
  const before = readdirSync(sink.dir).length;
  const { runId } = await run(mailDoc('Slow send', 300, { rate_per_second: 20 }));
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`) >= 10, { timeoutMs: 30_000, intervalMs: 20, what: '10 sent' });
  // The last pending addresses are suppressed now.
  const late = q(d.db, `SELECT address_key FROM sw_deliveries WHERE run_id = ${runId} AND state = 'pending' ORDER BY id DESC LIMIT 5`).split('\n').filter(Boolean);
  assert.equal(late.length, 5);
  for (const a of late) await d.ok('POST', '/suppressions', { address: a, reason: 'unsubscribe' }, d.tokens.editor, 201);
  const done = await d.waitRun(runId, ['completed', 'failed'], 90_000);
  assert.equal(done.status, 'completed');
  const skipped = q(d.db, `SELECT address_key FROM sw_deliveries WHERE run_id = ${runId} AND reason = 'suppressed' AND error = 'suppressed: unsubscribe'`).split('\n').filter(Boolean);
  for (const a of late) assert.ok(skipped.includes(a), `${a} was skipped`);
  const sent = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  await until(() => readdirSync(sink.dir).length >= before + sent, { what: 'the messages' });
  await sleep(300);
  const got = rcpts(sink.dir).map((x) => x.trim().toLowerCase());
  for (const a of late) assert.equal(got.filter((x) => x === a).length, 0, `${a} got no message`);
});
