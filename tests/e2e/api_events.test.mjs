// GET /api/v1/events (issue 8 part 4): a Server-Sent Events feed of campaign status changes,
// run and task progress and delivery counts, with an id on every event and Last-Event-ID
// resumption that misses none, across a restart of the daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, closeClean, q, qInt, qRows, until } from './lib/daemon.mjs';
import { openFeed, ofRun } from './lib/sse.mjs';

let d;
let box;
const FR = { field: 'country', op: 'eq', value: 'FR' };

before(async () => {
  const { makeTmp } = await import('./lib/helpers.mjs');
  const tmp = makeTmp('sw-events-box-');
  box = path.join(tmp.dir, 'outbox');
  mkdirSync(box, { recursive: true });
  d = await startDaemon({ profiles: 800, seed: 11, args: ['--smtp-url', `maildir:${box}`] });
});
after(async () => {
  await closeClean(d);
});

const feeds = [];
async function feed(opts = {}) {
  const f = await openFeed(d.url, { token: d.tokens.viewer, ...opts });
  feeds.push(f);
  return f;
}
after(() => feeds.forEach((f) => f.close()));

const chain3 = (name) => ({
  name,
  activities: [
    { id: 'fr', type: 'build_audience', filter: FR },
    { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
    { id: 'save', type: 'save_audience', audience: `aud ${name}`, mode: 'replace' },
  ],
  transitions: [
    { from: 'fr', to: 'value' },
    { from: 'value', to: 'save' },
  ],
});

async function startRun(doc) {
  const c = await d.ok('POST', '/campaigns', doc, d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor, 200);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  return { cid: c.id, runId };
}

function assertWellFormed(events) {
  let prev = 0;
  for (const e of events) {
    assert.match(e.id, /^\d+$/, `id on every event: ${e.raw}`);
    const id = Number(e.id);
    assert.ok(id > prev, `ids increase: ${prev} then ${id}`);
    prev = id;
    assert.equal(e.data.id, id);
    assert.equal(e.data.type, e.event);
    assert.match(e.data.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
}

test('the feed needs a viewer; bad parameters are 400 naming them', async () => {
  const none = await openFeed(d.url, {});
  assert.equal(none.status, 401);
  none.close();
  for (const [query, name] of [['?campaign=abc', 'campaign'], ['?campaign=0', 'campaign'], ['?run=-2', 'run'], ['?last_event_id=x', 'last_event_id']]) {
    const f = await openFeed(d.url, { token: d.tokens.viewer, query });
    assert.equal(f.status, 400, query);
    await until(() => f.ended, { what: 'the 400 body' });
    const body = JSON.parse(f.text);
    assert.equal(body.error.details[0].path, name);
  }
  const bad = await openFeed(d.url, { token: d.tokens.viewer, lastEventId: 'later' });
  assert.equal(bad.status, 400);
  bad.close();
  const ok = await feed();
  assert.equal(ok.status, 200);
  assert.match(ok.headers['content-type'], /^text\/event-stream/);
  assert.equal(ok.headers['cache-control'], 'no-store');
  await until(() => ok.retry !== null, { what: 'the retry field' });
});

test("a run's task events arrive in order, with the counts the API reports", async () => {
  const f = await feed();
  const { runId, cid } = await startRun(chain3('Ordered'));
  await f.waitFor((e) => e.event === 'run' && e.data.run_id === runId && e.data.status === 'completed');
  await f.waitFor((e) => e.event === 'campaign' && e.data.campaign_id === cid && e.data.status === 'completed');
  const evs = ofRun(f.events, runId);
  assertWellFormed(f.events);
  const seq = evs.map((e) => (e.event === 'task' ? `${e.data.activity}:${e.data.status}` : `${e.event}:${e.data.status}`));
  assert.deepEqual(seq, [
    'run:running',
    'fr:running',
    'fr:completed',
    'value:running',
    'value:completed',
    'save:running',
    'save:completed',
    'run:completed',
  ]);
  for (const e of evs) assert.equal(e.data.campaign_id, cid);
  // The counts in the completion events are those of GET /runs/{id}/tasks.
  const tasks = await d.ok('GET', `/runs/${runId}/tasks`, null, d.tokens.viewer);
  const list = Array.isArray(tasks) ? tasks : tasks.items;
  for (const t of list) {
    const done = evs.find((e) => e.event === 'task' && e.data.activity === t.activity && e.data.status === 'completed');
    assert.ok(done, `completion of ${t.activity}`);
    assert.deepEqual(done.data.counts, t.counts, `counts of ${t.activity}`);
    assert.equal(done.data.task_id, t.id);
    assert.equal(done.data.activity_type, t.type);
  }
  const fr = qInt(d.db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
  assert.equal(evs.find((e) => e.data.activity === 'fr' && e.data.status === 'completed').data.counts.out, fr);
  assert.equal(evs.find((e) => e.data.activity === 'value' && e.data.status === 'running').data.input_count, fr);
  // The campaign went draft → running → completed, and the feed said so.
  const camp = f.events.filter((e) => e.event === 'campaign' && e.data.campaign_id === cid).map((e) => `${e.data.previous_status}>${e.data.status}`);
  assert.deepEqual(camp, ['draft>running', 'running>completed']);
});

test('a reconnect with Last-Event-ID misses none, across a restart of the daemon', async () => {
  const all = await feed(); // the witness: connected throughout (until the restart)
  const b = await feed();
  const first = await startRun(chain3('Resume one'));
  // b sees the first events of the run, then goes away mid-run.
  await b.waitCount(3);
  b.close();
  const lastB = b.lastId;
  const got = b.events.slice();
  await all.waitFor((e) => e.event === 'run' && e.data.run_id === first.runId && e.data.status === 'completed');
  const second = await startRun(chain3('Resume two'));
  await all.waitFor((e) => e.event === 'run' && e.data.run_id === second.runId && e.data.status === 'completed');
  const witnessLast = all.lastId;

  // Restart: the feed's history is in the catalog, not in memory.
  await d.restart();
  const third = await startRun(chain3('Resume three'));
  const b2 = await feed({ lastEventId: lastB });
  await b2.waitFor((e) => e.event === 'run' && e.data.run_id === third.runId && e.data.status === 'completed');
  got.push(...b2.events);
  assertWellFormed(got);

  // What b got in two pieces is what the witness got, event for event, up to the restart...
  const upTo = got.filter((e) => Number(e.id) <= Number(witnessLast));
  const witness = all.events.filter((e) => Number(e.id) >= Number(got[0].id));
  assert.deepEqual(upTo.map((e) => e.raw), witness.map((e) => e.raw));
  // ...and everything the catalog holds after it.
  const rows = qRows(d.db, `SELECT id FROM sw_events WHERE id >= ${Number(got[0].id)} ORDER BY id`).map((r) => String(r.id));
  const gotIds = got.map((e) => e.id);
  assert.deepEqual(gotIds, rows.slice(0, gotIds.length));
  assert.ok(ofRun(got, third.runId).some((e) => e.event === 'task'), 'the third run\'s tasks came through');
  // The same request again gives the same events (the feed is a read of the journal).
  const again = await feed({ lastEventId: lastB });
  await again.waitCount(b2.events.length);
  assert.deepEqual(again.events.slice(0, b2.events.length).map((e) => e.raw), b2.events.map((e) => e.raw));
  // An id from the future (another catalog): told to reset, then the feed goes on from now.
  const future = await feed({ lastEventId: 10 ** 9 });
  const reset = await future.waitFor((e) => e.event === 'reset');
  assert.equal(reset.id, null);
});

test('campaign status changes arrive; ?campaign= keeps only that campaign', async () => {
  const doc = { ...chain3('Scheduled'), schedule: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', start: '2027-03-01T00:00:00' } };
  const c = await d.ok('POST', '/campaigns', doc, d.tokens.editor);
  const other = await d.ok('POST', '/campaigns', chain3('Other'), d.tokens.editor);
  const f = await feed({ query: `?campaign=${c.id}` });
  await until(() => f.retry !== null, { what: 'the feed to open' });
  for (const action of ['start', 'pause', 'resume', 'stop']) {
    await d.ok('POST', `/campaigns/${c.id}/${action}`, null, d.tokens.editor, 200);
  }
  await d.ok('POST', `/campaigns/${other.id}/start`, null, d.tokens.editor, 200);
  await f.waitFor((e) => e.event === 'campaign' && e.data.status === 'completed');
  const seq = f.events.filter((e) => e.event === 'campaign').map((e) => `${e.data.previous_status}>${e.data.status}`);
  assert.deepEqual(seq, ['draft>running', 'running>paused', 'paused>running', 'running>completed']);
  for (const e of f.events) assert.equal(e.data.campaign_id, c.id, `only campaign ${c.id}: ${e.raw}`);
  assert.equal(f.events.find((e) => e.event === 'campaign').data.name, 'Scheduled');
});

test('delivery counts of a channel task arrive while it sends, the last ones equal to the ledger', async () => {
  const doc = {
    name: 'Mail feed',
    activities: [
      { id: 'some', type: 'build_audience', filter: { field: 'id', op: 'le', value: 150 } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi {{first_name}}', text: 'Hello', rate_per_second: 40 },
    ],
    transitions: [{ from: 'some', to: 'mail' }],
  };
  const f = await feed();
  const { runId } = await startRun(doc);
  await f.waitFor((e) => e.event === 'run' && e.data.run_id === runId && e.data.status === 'completed', 60_000);
  await f.waitFor((e) => e.event === 'delivery' && e.data.run_id === runId && e.data.delivery.pending === 0 && e.data.delivery.sending === 0, 10_000);
  const dl = ofRun(f.events, runId).filter((e) => e.event === 'delivery');
  assert.ok(dl.length >= 2, `counts while sending, then the last ones: ${dl.map((e) => e.data.delivery.sent).join(', ')}`);
  const sent = dl.map((e) => e.data.delivery.sent);
  assert.deepEqual(sent, [...sent].sort((a, b) => a - b), 'sent only grows');
  const last = dl[dl.length - 1].data;
  assert.equal(last.activity, 'mail');
  const ledger = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  assert.ok(ledger > 0);
  assert.equal(last.delivery.sent, ledger);
  const tasks = await d.ok('GET', `/runs/${runId}/tasks`, null, d.tokens.viewer);
  const list = Array.isArray(tasks) ? tasks : tasks.items;
  const mail = list.find((t) => t.activity === 'mail');
  assert.deepEqual(last.delivery, mail.delivery);
  // The task's own events came first: running before any count, completed with its ports.
  const ids = ofRun(f.events, runId);
  const running = ids.findIndex((e) => e.event === 'task' && e.data.activity === 'mail' && e.data.status === 'running');
  assert.ok(running >= 0 && running < ids.indexOf(dl[0]));
});

test('a feed far behind (20,000 events, megabytes) gets every one in order, also when it stops reading for a while', async () => {
  // Journal rows as the triggers write them, straight into the catalog: more than a feed's
  // 1 MiB buffer holds, so the feed is served in pieces, catching up from its cursor.
  const from = qInt(d.db, 'SELECT coalesce(max(id), 0) FROM sw_events');
  const pad = 'x'.repeat(300);
  q(d.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
           INSERT INTO sw_events(ts, type, campaign_id, run_id, payload)
           SELECT 1700000000000 + i, 'campaign', 999999, NULL, json_object('status', 'running', 'n', i, 'pad', '${pad}') FROM n`);
  const to = qInt(d.db, 'SELECT max(id) FROM sw_events');
  assert.equal(to - from, 20000);
  const f = await feed({ lastEventId: from, query: '?campaign=999999' });
  // A pause in reading: the server must keep what it could not send, and lose nothing.
  await until(() => f.events.length > 100, { what: 'the first events' });
  f.pause();
  await new Promise((r) => setTimeout(r, 1500));
  f.resume();
  await f.waitFor(() => f.events.length >= 20000 && f.lastId === String(to), 60_000);
  const ids = f.events.map((e) => Number(e.id));
  assert.equal(ids.length, 20000);
  for (let i = 0; i < ids.length; i++) assert.equal(ids[i], from + 1 + i);
  assert.equal(f.events[19999].data.n, 20000);
  assert.ok(f.text.length > 4 * 1024 * 1024, `megabytes: ${f.text.length}`);
  f.close();
  q(d.db, 'DELETE FROM sw_events WHERE campaign_id = 999999');
});
