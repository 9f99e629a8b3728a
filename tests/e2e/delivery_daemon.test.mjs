// Delivery in the daemon (SPEC §2.2 "Delivery", §4, §5.1): confirm_before_send holds a
// channel task until POST /runs/{id}/activities/{aid}/confirm; retry-failed resends exactly
// the failed rows (to a real SMTP peer, Postfix's smtp-sink); kill -9 in the middle of a
// rate-limited send never sends an address twice; a send window in the campaign time zone
// survives a restart; SMS with a provider answering 429 + Retry-After to every first attempt.
// Every expected count is computed here with SQL over the `profiles` table of the daemon's
// data file, never with the engine's SQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startDaemon, closeClean, sleep, until, q, qInt, qRows } from './lib/daemon.mjs';
import { makeTmp, iso, NOW_MS, SEC, MIN } from './lib/helpers.mjs';
import { startCapture } from './lib/capture.mjs';
import { noSink, startSink as startSinkIn, rcpts } from './lib/sink.mjs';

const HELD = 253402300799000; // SW_WAKE_HELD: 9999-12-31T23:59:59Z

let tmp;
const sinks = new Set();
const daemons = new Set();

before(() => {
  tmp = makeTmp('sw-deliv-');
});
after(async () => {
  for (const s of sinks) await s.stop();
  const errors = [];
  for (const d of daemons) {
    try {
      await closeClean(d);
    } catch (e) {
      errors.push(e);
    }
  }
  tmp.cleanup();
  if (errors.length) throw errors[0];
});

/* ---- helpers ---- */

/** smtp-sink on port (a free one by default), one dump file per message in its own dir. */
async function startSink(extra = [], port = null) {
  const s = await startSinkIn(tmp.dir, extra, port);
  sinks.add(s);
  return s;
}

const sinkRcpts = (sink) => rcpts(sink.dir);

/** Wait until the sink's dump count is n and stays so for a moment (no late extra message). */
async function sinkSettles(sink, n, timeoutMs = 30_000) {
  await until(() => readdirSync(sink.dir).length >= n, { timeoutMs, intervalMs: 50, what: `${n} messages in the sink` });
  await sleep(400);
  return sinkRcpts(sink);
}

/** A daemon of our own on a fresh data source; closed (cleanly) by the after() hook. */
async function daemon(opts) {
  const d = await startDaemon({ profiles: 600, ...opts });
  daemons.add(d);
  return d;
}

/**
 * SIGTERM and wait for the exit with a timer of our own (cleared, so that it does not keep the
 * test process alive for its whole length once the daemon is gone).
 */
async function sigterm(d, timeoutMs = 15_000) {
  const p = d.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', () => r(false)));
  p.kill('SIGTERM');
  let timer;
  const timedOut = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r(true), timeoutMs); })]);
  clearTimeout(timer);
  if (timedOut) {
    await d.kill9();
    throw new Error(`the daemon did not stop within ${timeoutMs} ms of SIGTERM\n${d.stderr().slice(-4000)}`);
  }
}

/** Stop cleanly (exit 0, no sanitizer report) and remove the data. */
async function stopDaemon(d) {
  daemons.delete(d);
  try {
    await sigterm(d);
  } finally {
    await closeClean(d);
  }
}

/** Throws when the daemon process has died (a crash), with its exit and the tail of its stderr. */
function assertAlive(d) {
  const p = d.proc;
  if (p && (p.exitCode !== null || p.signalCode !== null)) {
    throw new Error(`the daemon died (exit ${p.exitCode}, signal ${p.signalCode})\n${d.stderr().slice(-4000)}`);
  }
}

/** Poll the run until its status is one of statuses (and extra() holds), failing at once on a crash. */
async function waitRun(d, runId, { statuses = ['completed', 'failed', 'stopped'], extra = () => true, timeoutMs = 60_000 } = {}) {
  let died = null;
  const r = await until(async () => {
    try {
      assertAlive(d);
    } catch (e) {
      died = e;
      return true;
    }
    const res = await d.api('GET', `/runs/${runId}`, null, d.tokens.viewer, { timeoutMs: 5_000 });
    return res.status === 200 && statuses.includes(res.json.status) && extra() ? res.json : null;
  }, { timeoutMs, what: `run ${runId} to be ${statuses.join('|')}` });
  if (died) throw died;
  return r;
}

/** Counts of the ledger rows of a run's activity by state (skipped by reason). */
function ledger(d, runId, act) {
  const out = { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: 0 };
  for (const r of qRows(d.db, `SELECT state, count(*) AS n FROM sw_deliveries WHERE run_id = ${runId} AND activity = '${act}' GROUP BY state`)) {
    out[r.state] = r.n;
  }
  return out;
}

/** Independent expectations for an address column over a WHERE clause on profiles. */
function expectAddresses(d, where, col) {
  const nonEmpty = `${where} AND trim(coalesce(${col}, '')) <> ''`;
  const addresses = qInt(d.db, `SELECT count(DISTINCT lower(trim(${col}))) FROM profiles WHERE ${nonEmpty}`);
  const total = qInt(d.db, `SELECT count(*) FROM profiles WHERE ${where}`);
  const missing = qInt(d.db, `SELECT count(*) FROM profiles WHERE ${where} AND trim(coalesce(${col}, '')) = ''`);
  const list = q(d.db, `SELECT DISTINCT lower(trim(${col})) FROM profiles WHERE ${nonEmpty} ORDER BY 1`).split('\n').filter(Boolean);
  // The smallest key of each address keeps the message.
  const keepers = q(d.db, `SELECT min(id) FROM profiles WHERE ${nonEmpty} GROUP BY lower(trim(${col})) ORDER BY 1`).split('\n').filter(Boolean).map(Number);
  return { addresses, total, missing, duplicates: total - missing - addresses, list, keepers };
}

const sortedStr = (a) => [...a].sort();

async function waitTaskWake(d, runId, act, pred, what) {
  return until(() => {
    assertAlive(d);
    const r = qRows(d.db, `SELECT status, wake_at FROM sw_tasks WHERE run_id = ${runId} AND activity = '${act}'`)[0];
    return r && pred(r) ? r : null;
  }, { timeoutMs: 30_000, intervalMs: 50, what });
}

const mailDoc = (name, where, mailOpts = {}, extra = {}) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter: where },
    { id: 'mail', type: 'email', to_field: 'email', from: 'Shop <shop@example.com>', subject: 'Hello {{first_name | default: "you"}}',
      text: 'Hi {{first_name}}', ...mailOpts },
    { id: 'done', type: 'end' },
  ],
  transitions: [{ from: 'aud', to: 'mail' }, { from: 'mail', to: 'done' }],
  ...extra,
});

/* ---- 1. confirm_before_send ---- */

test('confirm_before_send holds the task with every row pending and nothing sent; confirm releases it once', { skip: noSink }, async () => {
  const sink = await startSink();
  const d = await daemon({ seed: 31, args: ['--smtp-url', sink.url, '--smtp-connections', '3'] });
  const exp = expectAddresses(d, 'id <= 250', 'email');
  assert.ok(exp.addresses >= 50 && exp.missing > 0 && exp.duplicates > 0, `the data has missing and duplicate addresses: ${JSON.stringify({ ...exp, list: undefined, keepers: undefined })}`);

  const c = await d.ok('POST', '/campaigns', mailDoc('Held mail', { field: 'id', op: 'le', value: 250 }, { confirm_before_send: true }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  await waitTaskWake(d, runId, 'mail', (r) => r.wake_at === HELD, 'the mail task to be held');

  // Held: the ledger is written, nothing is sent, the run is still running.
  await sleep(1000); // a wrongly released send would have started by now
  assert.deepEqual(readdirSync(sink.dir), [], 'nothing reached the sink while held');
  assert.deepEqual(ledger(d, runId, 'mail'), { pending: exp.addresses, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: exp.missing + exp.duplicates });
  const keepers = q(d.db, `SELECT CAST(recipient AS INTEGER) FROM sw_deliveries WHERE run_id = ${runId} AND activity = 'mail' AND state = 'pending' ORDER BY 1`).split('\n').filter(Boolean).map(Number);
  assert.deepEqual(keepers, exp.keepers, 'the smallest key of each address keeps the message');
  const run = await d.ok('GET', `/runs/${runId}`, null, d.tokens.viewer);
  assert.equal(run.status, 'running');
  assert.equal(qInt(d.db, `SELECT wake_at FROM sw_tasks WHERE run_id = ${runId} AND activity = 'mail'`), HELD);
  const tasks = await d.ok('GET', `/runs/${runId}/tasks`, null, d.tokens.viewer);
  const items = Array.isArray(tasks) ? tasks : tasks.items;
  const mt = items.find((t) => t.activity === 'mail');
  assert.ok(mt && mt.delivery, `the mail task carries delivery counts: ${JSON.stringify(mt)}`);
  assert.deepEqual(mt.delivery, {
    targeted: exp.total, pending: exp.addresses, sending: 0, sent: 0, failed: 0, unknown: 0,
    skipped: { missing_address: exp.missing, duplicate_address: exp.duplicates, frequency_cap: 0 },
  });
  assert.ok(!('delivery' in items.find((t) => t.activity === 'aud')), 'a targeting task has no delivery counts');
  // The pending rows are listed by the deliveries endpoint.
  const pend = await d.ok('GET', `/runs/${runId}/deliveries?state=pending&activity=mail&limit=5000`, null, d.tokens.viewer);
  assert.equal(pend.items.length, exp.addresses);
  assert.deepEqual(sortedStr(pend.items.map((i) => i.address.trim().toLowerCase())), exp.list);

  // Refusals: retry-failed before the task completed, unknown activity, non-channel, viewer.
  assert.equal((await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, null, d.tokens.editor)).status, 409);
  assert.equal((await d.api('POST', `/runs/${runId}/activities/nope/confirm`, null, d.tokens.editor)).status, 404);
  assert.equal((await d.api('POST', `/runs/${runId}/activities/aud/confirm`, null, d.tokens.editor)).status, 409);
  assert.equal((await d.api('POST', `/runs/${runId}/activities/mail/confirm`, null, d.tokens.viewer)).status, 403);
  assert.equal((await d.api('POST', `/runs/999999/activities/mail/confirm`, null, d.tokens.editor)).status, 404);
  assert.deepEqual(readdirSync(sink.dir), [], 'still nothing sent after the refusals');

  const conf = await d.ok('POST', `/runs/${runId}/activities/mail/confirm`, null, d.tokens.editor);
  assert.equal(conf.run_id, runId);
  assert.equal(conf.activity, 'mail');
  assert.match(conf.confirmed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(conf.pending, exp.addresses);
  assert.equal(conf.released, true);

  const done = await waitRun(d, runId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.counts.mail.out, exp.addresses);
  assert.equal(done.counts.mail.failed, 0);
  const rcpts = await sinkSettles(sink, exp.addresses);
  assert.equal(rcpts.length, exp.addresses, 'one message per address');
  assert.deepEqual(sortedStr(rcpts), exp.list, 'every address exactly once');
  assert.deepEqual(ledger(d, runId, 'mail'), { pending: 0, sending: 0, sent: exp.addresses, failed: 0, unknown: 0, skipped: exp.missing + exp.duplicates });
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_confirmations WHERE run_id = ${runId} AND activity = 'mail'`), 1);

  // Confirming again: the activity has completed.
  const again = await d.api('POST', `/runs/${runId}/activities/mail/confirm`, null, d.tokens.editor);
  assert.equal(again.status, 409, again.text);
  await sleep(300);
  assert.equal(readdirSync(sink.dir).length, exp.addresses, 'no message after the second confirm');
  await stopDaemon(d);
});

/* ---- 2. retry-failed ---- */

test('retry-failed resends exactly the rows a permanent SMTP rejection failed, once', { skip: noSink }, async () => {
  const bad = await startSink(['-f', 'data']); // 5xx at DATA for every message
  const d = await daemon({ seed: 32, args: ['--smtp-url', bad.url, '--smtp-connections', '3'] });
  const where = "country IN ('FR', 'DE', 'ES')";
  const exp = expectAddresses(d, where, 'email');
  assert.ok(exp.addresses >= 50 && exp.addresses <= 300, `population ${exp.addresses}`);

  const c = await d.ok('POST', '/campaigns', mailDoc('Rejected then repaired', { field: 'country', op: 'in', value: ['FR', 'DE', 'ES'] }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  const r1 = await waitRun(d, runId);
  assert.equal(r1.status, 'completed', JSON.stringify(r1));
  assert.equal(r1.counts.mail.out, 0);
  assert.equal(r1.counts.mail.failed, exp.addresses);
  assert.deepEqual(ledger(d, runId, 'mail'), { pending: 0, sending: 0, sent: 0, failed: exp.addresses, unknown: 0, skipped: exp.missing + exp.duplicates });
  assert.equal(readdirSync(bad.dir).length, 0);
  const failedList = (await d.ok('GET', `/runs/${runId}/deliveries?state=failed&limit=5000`, null, d.tokens.viewer)).items;
  assert.equal(failedList.length, exp.addresses);
  assert.ok(failedList.every((i) => i.activity === 'mail' && i.state === 'failed' && /5\d\d/.test(i.error || '')), JSON.stringify(failedList[0]));
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND activity = 'done' AND status = 'completed'`), 1);
  const doneEnded = q(d.db, `SELECT ended_at FROM sw_tasks WHERE run_id = ${runId} AND activity = 'done'`);

  // A healthy sink on the same port.
  await bad.kill();
  const good = await startSink([], bad.port);
  assert.equal((await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, null, d.tokens.viewer)).status, 403);
  const rt = await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, null, d.tokens.editor);
  assert.equal(rt.status, 202, rt.text);
  assert.deepEqual(rt.json, { run_id: runId, activity: 'mail', requeued: exp.addresses, include_unknown: false });
  const st = q(d.db, `SELECT status FROM sw_runs WHERE id = ${runId}`);
  assert.ok(st === 'running' || st === 'completed', st);
  // Completed again, with nothing left to send.
  await waitRun(d, runId, { statuses: ['completed'], extra: () => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state IN ('pending', 'sending')`) === 0 });
  const rcpts = await sinkSettles(good, exp.addresses);
  assert.equal(rcpts.length, exp.addresses, 'one message per failed address');
  assert.deepEqual(sortedStr(rcpts), exp.list, 'exactly the failed addresses, once each');
  assert.deepEqual(ledger(d, runId, 'mail'), { pending: 0, sending: 0, sent: exp.addresses, failed: 0, unknown: 0, skipped: exp.missing + exp.duplicates });
  const tasks = await d.ok('GET', `/runs/${runId}/tasks`, null, d.tokens.viewer);
  const mt = (Array.isArray(tasks) ? tasks : tasks.items).find((t) => t.activity === 'mail');
  assert.equal(mt.status, 'completed');
  assert.equal(mt.delivery.sent, exp.addresses);
  assert.equal(mt.delivery.failed, 0);
  const r2 = await d.ok('GET', `/runs/${runId}`, null, d.tokens.viewer);
  assert.equal(r2.counts.mail.out, exp.addresses, 'the out port counts the repaired deliveries');
  assert.equal(r2.counts.mail.failed, 0);
  assert.equal(q(d.db, `SELECT ended_at FROM sw_tasks WHERE run_id = ${runId} AND activity = 'done'`), doneEnded, 'downstream tasks are not re-run');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 1, 'no new run');

  // Nothing more to resend (failed only, then failed and unknown).
  const rt2 = await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, null, d.tokens.editor);
  assert.equal(rt2.status, 202, rt2.text);
  assert.deepEqual(rt2.json, { run_id: runId, activity: 'mail', requeued: 0, include_unknown: false });
  const rt3 = await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, { include_unknown: true }, d.tokens.editor);
  assert.equal(rt3.status, 202, rt3.text);
  assert.deepEqual(rt3.json, { run_id: runId, activity: 'mail', requeued: 0, include_unknown: true });
  await sleep(800);
  assert.equal(readdirSync(good.dir).length, exp.addresses, 'no message after an empty retry');
  assert.equal((await d.ok('GET', `/runs/${runId}`, null, d.tokens.viewer)).status, 'completed');
  await stopDaemon(d);
  await good.kill();
});

/* ---- 3. kill -9 mid-send ---- */

test('kill -9 in the middle of a rate-limited send: no duplicates, sending rows become unknown, the rest is sent', { skip: noSink }, async (t) => {
  const CONNS = 2;
  const RATE = 20;
  const sink = await startSink();
  const d = await daemon({ seed: 33, args: ['--smtp-url', sink.url, '--smtp-connections', String(CONNS)] });
  const exp = expectAddresses(d, 'id <= 165', 'email');
  assert.ok(exp.addresses >= 120 && exp.addresses <= 200, `population ${exp.addresses}`);

  const c = await d.ok('POST', '/campaigns', mailDoc('Killed mid-send', { field: 'id', op: 'le', value: 165 }, { rate_per_second: RATE }), d.tokens.editor);
  const t0 = Date.now();
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`) >= 30, {
    timeoutMs: 30_000, intervalMs: 20, what: '30 messages sent',
  });
  const k = await d.kill9();
  const elapsed = (Date.now() - t0) / 1000;
  assert.equal(k.signal, 'SIGKILL');
  const before = ledger(d, runId, 'mail');
  assert.ok(before.pending > 0, `the kill landed before the end: ${JSON.stringify(before)}`);
  // The rate holds: at most RATE a second (plus one window of burst).
  assert.ok(before.sent <= RATE * elapsed + RATE + 1, `${before.sent} sent in ${elapsed} s at ${RATE}/s`);
  assert.ok(before.sending <= 4 * CONNS, `at most one window is sending: ${before.sending}`);
  const sentBefore = q(d.db, `SELECT id FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' ORDER BY id`);

  await d.restart();
  const run = await waitRun(d, runId);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  const l = ledger(d, runId, 'mail');
  assert.equal(l.pending + l.sending, 0, JSON.stringify(l));
  assert.equal(l.sent + l.unknown + l.failed, exp.addresses, JSON.stringify(l));
  assert.equal(l.skipped, exp.missing + exp.duplicates);
  assert.ok(l.unknown <= 4 * CONNS, `unknown rows ${l.unknown} ≤ ${4 * CONNS}`);
  assert.equal(l.unknown, before.sending, 'exactly the rows cut while sending are unknown');
  assert.equal(q(d.db, `SELECT id FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' AND id IN (${sentBefore.split('\n').join(',')}) ORDER BY id`), sentBefore, 'sent rows stay sent');
  assert.equal(run.counts.mail.out, l.sent);

  await sleep(500);
  const rcpts = sinkRcpts(sink);
  assert.equal(new Set(rcpts).size, rcpts.length, `no address received two messages (${rcpts.length} dumps)`);
  const got = new Set(rcpts);
  const sent = q(d.db, `SELECT lower(trim(address)) FROM sw_deliveries WHERE run_id = ${runId} AND activity = 'mail' AND state = 'sent'`).split('\n').filter(Boolean);
  const missed = sent.filter((a) => !got.has(a));
  assert.deepEqual(missed, [], 'every sent row reached the sink');
  const unknownAddr = new Set(q(d.db, `SELECT lower(trim(address)) FROM sw_deliveries WHERE run_id = ${runId} AND activity = 'mail' AND state = 'unknown'`).split('\n').filter(Boolean));
  const extra = rcpts.filter((a) => !sent.includes(a) && !unknownAddr.has(a));
  assert.deepEqual(extra, [], 'the sink received nothing the ledger does not know as sent or unknown');
  // After the restart the rate still holds: the pending rows took at least (n - burst) / RATE s.
  const span = qRows(d.db, `SELECT min(sent_at) AS a, max(sent_at) AS b, count(*) AS n FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' AND id NOT IN (${sentBefore.split('\n').join(',')})`)[0];
  if (span.n > 2 * RATE) assert.ok(span.b - span.a >= ((span.n - RATE - 1) / RATE) * 1000 - 200, `rate after restart: ${JSON.stringify(span)}`);

  // Unknown rows are resent only on demand: retry-failed leaves them, include_unknown resends them.
  const rf = await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, null, d.tokens.editor);
  assert.equal(rf.status, 202, rf.text);
  assert.equal(rf.json.requeued, l.failed);
  t.diagnostic(`killed with ${before.sent} sent, ${before.sending} sending; ledger after restart ${JSON.stringify(l)}`);
  if (l.unknown > 0 && l.failed === 0) {
    await sleep(500);
    assert.equal(readdirSync(sink.dir).length, rcpts.length, 'a plain retry does not resend unknown rows');
    const ru = await d.api('POST', `/runs/${runId}/activities/mail/retry-failed`, { include_unknown: true }, d.tokens.editor);
    assert.equal(ru.status, 202, ru.text);
    assert.deepEqual(ru.json, { run_id: runId, activity: 'mail', requeued: l.unknown, include_unknown: true });
    await waitRun(d, runId, { statuses: ['completed'], extra: () => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state IN ('pending', 'sending')`) === 0 });
    const all = await sinkSettles(sink, rcpts.length + l.unknown);
    assert.equal(all.length, rcpts.length + l.unknown, 'one more message per unknown row');
    const fresh = [...all];
    for (const a of rcpts) fresh.splice(fresh.indexOf(a), 1);
    assert.deepEqual(sortedStr(fresh), sortedStr(unknownAddr), 'exactly the unknown addresses were resent');
    assert.deepEqual(ledger(d, runId, 'mail'), { pending: 0, sending: 0, sent: exp.addresses, failed: 0, unknown: 0, skipped: exp.missing + exp.duplicates });
  }
  await stopDaemon(d);
  await sink.kill();
});

/* ---- 4. send_window across a restart ---- */

test('a send window in the campaign time zone: the task waits for the opening across kill -9, then sends each address once', { skip: noSink }, async () => {
  const sink = await startSink();
  const d = await daemon({ seed: 34, args: ['--smtp-url', sink.url] });
  // The daemon's clock: put it 10 s before a minute (the window's resolution), so that a window
  // opening at the next minute opens about 10 s from now. daemon.mjs hands d.now() to every
  // (re)started daemon as STEPWISE_NOW.
  await sigterm(d);
  const base = NOW_MS + 4 * MIN + 50 * SEC; // 2026-06-15T12:04:50Z = 14:04:50 in Paris (CEST)
  const real0 = Date.now();
  d.now = () => base + (Date.now() - real0);
  await d.restart();
  const opening = NOW_MS + 5 * MIN; // 12:05:00Z = 14:05 Europe/Paris
  const exp = expectAddresses(d, 'id <= 120', 'email');
  assert.ok(exp.addresses >= 50);

  const c = await d.ok('POST', '/campaigns', mailDoc('Windowed', { field: 'id', op: 'le', value: 120 },
    { send_window: { from: '14:05', to: '16:00' } }, { timezone: 'Europe/Paris' }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  const t = await waitTaskWake(d, runId, 'mail', (r) => r.wake_at && r.wake_at < HELD, 'the mail task to wait for the window');
  assert.ok(Math.abs(t.wake_at - opening) <= 1000, `the task wakes at the opening (${iso(opening)}), not ${iso(t.wake_at)}`);
  assert.equal(t.status, 'running');
  assert.deepEqual(readdirSync(sink.dir), [], 'nothing sent before the window opens');
  assert.equal(ledger(d, runId, 'mail').pending, exp.addresses);
  assert.equal(ledger(d, runId, 'mail').sent, 0);
  assert.equal((await d.ok('GET', `/runs/${runId}`, null, d.tokens.viewer)).status, 'running');

  await d.kill9();
  assert.ok(d.now() < opening - 1000, `the kill happened before the opening (clock ${iso(d.now())}): the test needs a faster setup`);
  await d.restart();
  await sleep(300);
  if (d.now() < opening - 200) {
    assert.deepEqual(readdirSync(sink.dir), [], 'nothing sent after the restart before the opening');
    assert.equal(ledger(d, runId, 'mail').sent, 0);
  }
  const run = await waitRun(d, runId);
  assert.equal(run.status, 'completed', JSON.stringify(run));
  const rcpts = await sinkSettles(sink, exp.addresses);
  assert.equal(rcpts.length, exp.addresses);
  assert.deepEqual(sortedStr(rcpts), exp.list, 'every address exactly once');
  const l = ledger(d, runId, 'mail');
  assert.equal(l.sent, exp.addresses, JSON.stringify(l));
  const firstSent = qInt(d.db, `SELECT min(sent_at) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  assert.ok(firstSent >= opening, `first message at ${iso(firstSent)}, the window opens at ${iso(opening)}`);
  await stopDaemon(d);
  await sink.kill();
});

/* ---- 5. SMS with 429 + Retry-After ---- */

test('SMS: a provider answering 429 (Retry-After: 2) to every first attempt; each message is POSTed twice, delivered once; /metrics equals the ledger', async () => {
  const firstSeen = new Map();
  const times = new Map();
  const cap = await startCapture({
    script: (req, body) => {
      const id = body && body.message_id;
      if (!times.has(id)) times.set(id, []);
      times.get(id).push(Date.now());
      if (!firstSeen.has(id)) {
        firstSeen.set(id, true);
        req.answered = 429;
        return { status: 429, headers: { 'Retry-After': '2' } };
      }
      req.answered = 200;
      return {};
    },
  });
  try {
    const d = await daemon({ seed: 35, args: ['--sms-url', `${cap.url}/sms`, '--http-connections', '4'] });
    const where = 'id <= 150';
    const exp = expectAddresses(d, where, 'phone');
    assert.ok(exp.addresses >= 50 && exp.missing > 0, JSON.stringify({ ...exp, list: undefined, keepers: undefined }));
    const c = await d.ok('POST', '/campaigns', {
      name: 'SMS throttled',
      activities: [
        { id: 'aud', type: 'build_audience', filter: { field: 'id', op: 'le', value: 150 } },
        { id: 'sms', type: 'sms', to_field: 'phone', text: 'Hi {{first_name | default: "there"}}' },
      ],
      transitions: [{ from: 'aud', to: 'sms' }],
    }, d.tokens.editor);
    await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
    const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
    const run = await waitRun(d, runId);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.equal(run.counts.sms.out, exp.addresses);
    assert.equal(run.counts.sms.failed, 0);

    const l = ledger(d, runId, 'sms');
    assert.deepEqual(l, { pending: 0, sending: 0, sent: exp.addresses, failed: 0, unknown: 0, skipped: exp.missing + exp.duplicates });
    assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' AND attempts = 2`), exp.addresses, 'two attempts per message');

    // The provider's view: two POSTs per message_id, to distinct numbers, the second ≥ 1 s after the first.
    assert.equal(cap.requests.length, 2 * exp.addresses);
    assert.equal(times.size, exp.addresses, 'one message_id per address');
    for (const [id, ts] of times) {
      assert.equal(ts.length, 2, `message ${id} POSTed ${ts.length} times`);
      // Retry-After: 2 is longer than the first backoff step (1 s): honouring it is visible.
      assert.ok(ts[1] - ts[0] >= 1900, `message ${id}: retried ${ts[1] - ts[0]} ms after the 429 with Retry-After: 2`);
    }
    const ok = cap.requests.filter((r) => r.answered === 200);
    assert.equal(ok.length, exp.addresses);
    assert.ok(cap.requests.every((r) => r.path === '/sms' && r.body && Object.keys(r.body).sort().join() === 'message_id,text,to'), JSON.stringify(cap.requests[0]));
    assert.deepEqual(sortedStr(ok.map((r) => r.body.to.trim().toLowerCase())), exp.list, 'every number exactly once');
    // Personalized text, as SQL says.
    const names = new Map(qRows(d.db, `SELECT lower(trim(phone)) AS p, coalesce(first_name, 'there') AS n FROM profiles WHERE id IN (${exp.keepers.join(',')})`).map((r) => [r.p, r.n]));
    for (const r of ok) assert.equal(r.body.text, `Hi ${names.get(r.body.to.trim().toLowerCase())}`);
    // Both attempts of a message carry the same body.
    for (const r of cap.requests) {
      const twin = cap.requests.find((x) => x !== r && x.body.message_id === r.body.message_id);
      assert.equal(twin.raw, r.raw);
    }

    // /metrics: stepwise_deliveries equals counts computed over sw_deliveries.
    const m = await d.api('GET', '/metrics', null, d.tokens.viewer);
    assert.equal(m.status, 200);
    const lines = m.text.split('\n').filter((s) => s.startsWith('stepwise_deliveries{'));
    const got = {};
    for (const s of lines) {
      const mm = /^stepwise_deliveries\{channel="([^"]*)",state="([^"]*)",reason="([^"]*)"\} (\d+)$/.exec(s);
      assert.ok(mm, `metric line: ${s}`);
      got[`${mm[1]}/${mm[2]}/${mm[3]}`] = Number(mm[4]);
    }
    const want = {};
    for (const r of qRows(d.db, "SELECT channel, state, coalesce(reason, '') AS reason, count(*) AS n FROM sw_deliveries GROUP BY 1, 2, 3")) {
      want[`${r.channel}/${r.state}/${r.reason}`] = r.n;
    }
    assert.deepEqual(got, want);
    assert.equal(got['sms/sent/'], exp.addresses);
    assert.equal(got['sms/skipped/missing_address'], exp.missing);
    assert.equal(got['sms/skipped/duplicate_address'] ?? 0, exp.duplicates);
    await stopDaemon(d);
  } finally {
    await cap.close();
  }
});

/* ---- 6. stopping a held run; an empty audience; a bad ledger filter ---- */

test('stopping a run held for confirmation skips its pending rows (run_stopped); an empty audience still has delivery counts; a bad state filter is refused', { skip: noSink }, async () => {
  const sink = await startSink();
  const d = await daemon({ seed: 37, args: ['--smtp-url', sink.url] });
  const exp = expectAddresses(d, 'id <= 120', 'email');
  const c = await d.ok('POST', '/campaigns', mailDoc('Held then stopped', { field: 'id', op: 'le', value: 120 }, { confirm_before_send: true }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  await waitTaskWake(d, runId, 'mail', (r) => r.wake_at === HELD, 'the mail task to be held');
  await d.ok('POST', `/campaigns/${c.id}/stop`, null, d.tokens.editor);
  await waitRun(d, runId, { statuses: ['stopped'] });
  assert.deepEqual(ledger(d, runId, 'mail'), { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: exp.total });
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND reason = 'run_stopped'`), exp.addresses);
  assert.equal((await d.api('POST', `/runs/${runId}/activities/mail/confirm`, null, d.tokens.editor)).status, 409);
  await sleep(500);
  assert.deepEqual(readdirSync(sink.dir), [], 'a stopped run sends nothing');

  // Nobody matches: the channel task is skipped or completes with zero counts, never missing.
  const e = await d.ok('POST', '/campaigns', mailDoc('Nobody', { field: 'id', op: 'lt', value: 0 }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${e.id}/start`, null, d.tokens.editor);
  const emptyRun = await until(() => d.lastRunId(e.id), { what: 'the run' });
  await waitRun(d, emptyRun);
  const tasks = await d.ok('GET', `/runs/${emptyRun}/tasks`, null, d.tokens.viewer);
  const mt = tasks.items.find((t) => t.activity === 'mail');
  assert.equal(mt.delivery.targeted, 0);
  assert.equal(mt.delivery.sent, 0);

  const bad = await d.api('GET', `/runs/${runId}/deliveries?state=bogus`, null, d.tokens.viewer);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.details[0].path, 'state');
});

/* ---- 7. pause in the middle of a send ---- */

test('pause stops a rate-limited send within a claim; resume sends the rest, each address once', { skip: noSink }, async () => {
  const RATE = 25;
  const sink = await startSink();
  const d = await daemon({ seed: 41, args: ['--smtp-url', sink.url, '--smtp-connections', '2'] });
  const exp = expectAddresses(d, 'id <= 200', 'email');
  const c = await d.ok('POST', '/campaigns', mailDoc('Paused mid-send', { field: 'id', op: 'le', value: 200 }, { rate_per_second: RATE }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = await until(() => d.lastRunId(c.id), { what: 'the run' });
  const sentNow = () => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  await until(() => sentNow() >= 20, { timeoutMs: 30_000, intervalMs: 20, what: '20 messages sent' });
  await d.ok('POST', `/campaigns/${c.id}/pause`, null, d.tokens.editor);
  await sleep(1500); // the claim in progress finishes
  const a = sentNow();
  const atPause = ledger(d, runId, 'mail');
  await sleep(2000);
  const b = sentNow();
  assert.equal(b, a, 'nothing is sent while paused');
  assert.equal(readdirSync(sink.dir).length, b, 'the sink received exactly what the ledger says');
  assert.equal(atPause.sending, 0, `no row stays sending while paused: ${JSON.stringify(atPause)}`);
  assert.ok(atPause.pending > 0, 'the pause landed before the end');
  await d.ok('POST', `/campaigns/${c.id}/resume`, null, d.tokens.editor);
  const run = await waitRun(d, runId);
  assert.equal(run.status, 'completed');
  const rcpts = await sinkSettles(sink, exp.addresses);
  assert.equal(rcpts.length, exp.addresses);
  assert.equal(new Set(rcpts).size, exp.addresses, 'each address once');
  assert.equal(qInt(d.db, `SELECT max(attempts) FROM sw_deliveries WHERE run_id = ${runId}`), 1, 'released rows used no attempt');
});
