// The frequency cap when campaigns run at the same time (docs/ARCHITECTURE.md "The frequency
// cap"): at most N messages per address and channel within the period, whatever runs at once.
// Real parts: the daemon, an SMS provider (lib/capture.mjs) and Postfix's smtp-sink. Every
// expectation is computed here with SQL over the `profiles` table, never with the engine's SQL;
// what reached the provider or the sink is counted there, not in the ledger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, until, q, qInt, qRows, sleep } from './lib/daemon.mjs';
import { makeTmp } from './lib/helpers.mjs';
import { startCapture } from './lib/capture.mjs';
import { noSink, startSink as startSinkIn, rcpts } from './lib/sink.mjs';
import { readdirSync } from 'node:fs';

let tmp;
const cleanups = [];
before(() => {
  tmp = makeTmp('sw-fcap-');
});
after(async () => {
  const errors = [];
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (e) {
      errors.push(e);
    }
  }
  tmp.cleanup();
  if (errors.length) throw errors[0];
});

async function daemon(args, profiles = 400, seed = 61) {
  const d = await startDaemon({ profiles, seed, args: ['--workers', '6', ...args] });
  cleanups.push(() => closeClean(d));
  return d;
}

async function capture(script) {
  const c = await startCapture(script ? { script } : {});
  cleanups.push(() => c.close());
  return c;
}

const between = (lo, hi) => ({ all: [{ field: 'id', op: 'ge', value: lo }, { field: 'id', op: 'le', value: hi }] });
const betweenSql = (lo, hi) => `id BETWEEN ${lo} AND ${hi}`;

const smsDoc = (name, filter, smsOpts = {}) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter },
    { id: 'sms', type: 'sms', to_field: 'phone', text: 'Hi {{first_name | default: "there"}}', ...smsOpts },
  ],
  transitions: [{ from: 'aud', to: 'sms' }],
});

const mailDoc = (name, filter) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter },
    { id: 'mail', type: 'email', to_field: 'email', from: 'Shop <shop@example.com>', subject: 'Hello', text: 'Hi {{first_name}}' },
  ],
  transitions: [{ from: 'aud', to: 'mail' }],
});

/** Distinct (trimmed, lower-case) non-empty addresses of `col` over a WHERE clause. */
function addresses(d, where, col) {
  return q(d.db, `SELECT DISTINCT lower(trim(${col})) FROM profiles WHERE (${where}) AND trim(coalesce(${col}, '')) <> '' ORDER BY 1`)
    .split('\n').filter(Boolean);
}

/** Create the campaigns, then start them all at once; resolves with their run ids. */
async function startTogether(d, docs) {
  const ids = [];
  for (const doc of docs) ids.push((await d.ok('POST', '/campaigns', doc, d.tokens.editor)).id);
  await Promise.all(ids.map((id) => d.ok('POST', `/campaigns/${id}/start`, null, d.tokens.editor)));
  return Promise.all(ids.map((id) => until(() => d.lastRunId(id), { what: `the run of campaign ${id}` })));
}

async function runsEnd(d, runIds, timeoutMs = 90_000) {
  for (const r of runIds) {
    await until(() => {
      const st = q(d.db, `SELECT status FROM sw_runs WHERE id = ${r}`);
      return ['completed', 'failed', 'stopped'].includes(st) ? st : null;
    }, { timeoutMs, what: `run ${r} to end` });
  }
  return runIds.map((r) => q(d.db, `SELECT status FROM sw_runs WHERE id = ${r}`));
}

/** Per address: how many times it was delivered (what the provider or sink received). */
function tally(list) {
  const m = new Map();
  for (const a of list) m.set(a, (m.get(a) || 0) + 1);
  return m;
}

/** The ledger rows of the given runs by state and reason. */
function ledgerOf(d, runIds, act) {
  return qRows(d.db, `SELECT state, coalesce(reason, '') AS reason, count(*) AS n FROM sw_deliveries WHERE run_id IN (${runIds.join(',')}) AND activity = '${act}' GROUP BY 1, 2 ORDER BY 1, 2`);
}

/**
 * Checks for campaigns started together with overlapping audiences (`wheres`, SQL) under a cap
 * of 1: each address of the union got exactly one message, and every other row for it is
 * skipped with frequency_cap (besides the usual missing and duplicate addresses).
 */
function checkOnce(d, runIds, wheres, col, act, delivered) {
  const union = addresses(d, wheres.map((w) => `(${w})`).join(' OR '), col);
  const got = tally(delivered);
  assert.equal(got.size, union.length, 'every address of the union got a message');
  const twice = [...got].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no address got two messages');
  assert.deepEqual([...got.keys()].sort(), union, 'exactly the addresses of the union');
  // In the ledger: per run, its distinct addresses are either sent or capped.
  let capped = 0;
  runIds.forEach((r, i) => {
    const mine = addresses(d, wheres[i], col).length;
    const sent = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${r} AND activity = '${act}' AND state = 'sent'`);
    const fc = qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${r} AND activity = '${act}' AND reason = 'frequency_cap'`);
    assert.equal(sent + fc, mine, `run ${r}: ${sent} sent + ${fc} capped = its ${mine} addresses`);
    capped += fc;
  });
  const rowsTotal = wheres.reduce((s, w) => s + addresses(d, w, col).length, 0);
  assert.equal(capped, rowsTotal - union.length, 'every other row is skipped with frequency_cap');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id IN (${runIds.join(',')}) AND state IN ('pending', 'sending', 'unknown', 'failed')`), 0);
  return capped;
}

/** The delivery counts on the channel tasks agree with the ledger. */
async function checkTaskCounts(d, runIds, act) {
  for (const r of runIds) {
    const res = await d.ok('GET', `/runs/${r}/tasks`, null, d.tokens.viewer);
    const t = (Array.isArray(res) ? res : res.items).find((x) => x.activity === act);
    assert.ok(t && t.delivery, JSON.stringify(t));
    assert.equal(t.delivery.skipped.frequency_cap, qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${r} AND activity = '${act}' AND reason = 'frequency_cap'`));
    assert.equal(t.delivery.sent, qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${r} AND activity = '${act}' AND state = 'sent'`));
  }
}

test('SMS: two, then five campaigns to overlapping audiences started together under 1/7d: every phone gets exactly one message', async () => {
  // A provider that takes a few milliseconds per message, so that the sends overlap.
  const cap = await capture(() => ({ delayMs: 3 }));
  const d = await daemon(['--frequency-cap', '1/7d', '--sms-url', `${cap.url}/sms`, '--http-connections', '2']);

  // Two campaigns, the same audience.
  const two = [betweenSql(1, 150), betweenSql(1, 150)];
  const runs2 = await startTogether(d, [smsDoc('Twin A', between(1, 150)), smsDoc('Twin B', between(1, 150))]);
  assert.deepEqual(await runsEnd(d, runs2), ['completed', 'completed']);
  const capped2 = checkOnce(d, runs2, two, 'phone', 'sms', cap.requests.map((r) => r.body.to.trim().toLowerCase()));
  assert.ok(capped2 >= 100, `half of the rows are capped: ${capped2}`);
  await checkTaskCounts(d, runs2, 'sms');

  // Five campaigns over overlapping ranges, none touching the phones above.
  const before5 = cap.requests.length;
  const ranges = [[151, 260], [200, 320], [151, 400], [300, 400], [240, 250]];
  const runs5 = await startTogether(d, ranges.map(([lo, hi], i) => smsDoc(`Five ${i}`, between(lo, hi))));
  assert.deepEqual(await runsEnd(d, runs5), runs5.map(() => 'completed'));
  const delivered5 = cap.requests.slice(before5).map((r) => r.body.to.trim().toLowerCase());
  const capped5 = checkOnce(d, runs5, ranges.map(([lo, hi]) => betweenSql(lo, hi)), 'phone', 'sms', delivered5);
  assert.ok(capped5 >= 150, `capped rows ${capped5}`);
  await checkTaskCounts(d, runs5, 'sms');
  // Nobody of the first pair was messaged again.
  const first = new Set(addresses(d, betweenSql(1, 150), 'phone'));
  assert.deepEqual(delivered5.filter((a) => first.has(a)), []);
});

test('email: two campaigns to overlapping audiences started together under 1/7d, through smtp-sink', { skip: noSink }, async () => {
  const sink = await startSinkIn(tmp.dir, []);
  cleanups.push(() => sink.stop());
  const d = await daemon(['--frequency-cap', '1/7d', '--smtp-url', sink.url, '--smtp-connections', '2'], 300, 62);
  const wheres = [betweenSql(1, 200), betweenSql(100, 300)];
  const runs = await startTogether(d, [mailDoc('Mail A', between(1, 200)), mailDoc('Mail B', between(100, 300))]);
  assert.deepEqual(await runsEnd(d, runs), ['completed', 'completed']);
  const union = addresses(d, wheres.map((w) => `(${w})`).join(' OR '), 'email');
  await until(() => readdirSync(sink.dir).length >= union.length, { what: `${union.length} messages in the sink` });
  await sleep(300);
  checkOnce(d, runs, wheres, 'email', 'mail', rcpts(sink.dir).map((a) => a.trim().toLowerCase()));
});

test('per-channel limits: email:2/7d,sms:1/7d over three runs of a campaign sending both', { skip: noSink }, async () => {
  const sink = await startSinkIn(tmp.dir, []);
  cleanups.push(() => sink.stop());
  const cap = await capture(() => ({}));
  const d = await daemon(['--frequency-cap', 'email:2/7d,sms:1/7d', '--smtp-url', sink.url, '--sms-url', `${cap.url}/sms`], 200, 63);
  const doc = {
    name: 'Both channels',
    activities: [
      { id: 'aud', type: 'build_audience', filter: between(1, 120) },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi', text: 'Hi' },
      { id: 'sms', type: 'sms', to_field: 'phone', text: 'Hi' },
    ],
    transitions: [{ from: 'aud', to: 'mail' }, { from: 'aud', to: 'sms' }],
  };
  const docs = [0, 1, 2].map((i) => ({ ...doc, name: `Both channels ${i}` }));
  const runs = await startTogether(d, docs);
  assert.deepEqual(await runsEnd(d, runs), ['completed', 'completed', 'completed']);
  const emails = addresses(d, betweenSql(1, 120), 'email');
  const phones = addresses(d, betweenSql(1, 120), 'phone');
  // email: two each; sms: one each.
  await until(() => readdirSync(sink.dir).length >= 2 * emails.length, { what: 'two messages per address' });
  await sleep(300);
  const mailTally = tally(rcpts(sink.dir).map((a) => a.trim().toLowerCase()));
  assert.equal(mailTally.size, emails.length);
  assert.ok([...mailTally.values()].every((n) => n === 2), 'every address got exactly two emails');
  const smsTally = tally(cap.requests.map((r) => r.body.to.trim().toLowerCase()));
  assert.equal(smsTally.size, phones.length);
  assert.ok([...smsTally.values()].every((n) => n === 1), 'every phone got exactly one SMS');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE activity = 'mail' AND reason = 'frequency_cap'`), emails.length);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE activity = 'sms' AND reason = 'frequency_cap'`), 2 * phones.length);
});

test('retry-failed racing a new run under 1/7d: every phone gets exactly one message', async () => {
  let failing = true;
  const cap = await capture(() => (failing ? { status: 400 } : { delayMs: 2 }));
  const d = await daemon(['--frequency-cap', '1/7d', '--sms-url', `${cap.url}/sms`, '--http-connections', '2'], 300, 64);
  const where = betweenSql(1, 200);
  const [runA] = await startTogether(d, [smsDoc('Rejected first', between(1, 200))]);
  assert.deepEqual(await runsEnd(d, [runA]), ['completed']);
  const phones = addresses(d, where, 'phone');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runA} AND state = 'failed'`), phones.length, 'every message failed (400)');
  const rejected = cap.requests.length;

  // The provider recovers; the repair of run A and a new campaign B go at the same time.
  failing = false;
  const b = await d.ok('POST', '/campaigns', smsDoc('New run B', between(1, 200)), d.tokens.editor);
  const [retry] = await Promise.all([
    d.ok('POST', `/runs/${runA}/activities/sms/retry-failed`, null, d.tokens.editor, 202),
    d.ok('POST', `/campaigns/${b.id}/start`, null, d.tokens.editor),
  ]);
  assert.equal(retry.requeued, phones.length);
  const runB = await until(() => d.lastRunId(b.id), { what: 'run B' });
  await runsEnd(d, [runB]);
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id IN (${runA}, ${runB}) AND state IN ('pending', 'sending')`) === 0
    && q(d.db, `SELECT status FROM sw_runs WHERE id = ${runA}`) === 'completed', { timeoutMs: 60_000, what: 'both done' });
  const delivered = cap.requests.slice(rejected).map((r) => r.body.to.trim().toLowerCase());
  const got = tally(delivered);
  assert.equal(got.size, phones.length);
  assert.deepEqual([...got].filter(([, n]) => n > 1), [], 'no phone got two messages');
  // Each phone: exactly one sent row over the two runs, the other capped.
  assert.equal(qInt(d.db, `SELECT count(*) FROM (SELECT address_key FROM sw_deliveries WHERE run_id IN (${runA}, ${runB}) AND state = 'sent' GROUP BY address_key HAVING count(*) = 1)`), phones.length);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id IN (${runA}, ${runB}) AND reason = 'frequency_cap'`), phones.length);
});

test('a stopped run\'s unsent rows no longer count: the next campaign reaches exactly those it did not', async () => {
  const cap = await capture(() => ({}));
  const d = await daemon(['--frequency-cap', '1/7d', '--sms-url', `${cap.url}/sms`], 300, 65);
  const where = betweenSql(1, 150);
  const phones = addresses(d, where, 'phone');
  const a = await d.ok('POST', '/campaigns', smsDoc('Slow', between(1, 150), { rate_per_second: 20 }), d.tokens.editor);
  await d.ok('POST', `/campaigns/${a.id}/start`, null, d.tokens.editor);
  const runA = await until(() => d.lastRunId(a.id), { what: 'run A' });
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runA} AND state = 'sent'`) >= 15, { timeoutMs: 30_000, intervalMs: 20, what: '15 sent' });
  await d.ok('POST', `/campaigns/${a.id}/stop`, null, d.tokens.editor);
  await runsEnd(d, [runA]);
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runA} AND state IN ('pending', 'sending')`) === 0, { what: 'run A settled' });
  const sentA = new Set(q(d.db, `SELECT address_key FROM sw_deliveries WHERE run_id = ${runA} AND state IN ('sent', 'unknown')`).split('\n').filter(Boolean));
  assert.ok(sentA.size >= 15 && sentA.size < phones.length, `run A reached ${sentA.size} of ${phones.length}`);
  assert.ok(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runA} AND reason = 'run_stopped'`) > 0);
  const beforeB = cap.requests.length;

  const [runB] = await startTogether(d, [smsDoc('After the stop', between(1, 150))]);
  assert.deepEqual(await runsEnd(d, [runB]), ['completed']);
  const deliveredB = cap.requests.slice(beforeB).map((r) => r.body.to.trim().toLowerCase()).sort();
  assert.deepEqual(deliveredB, phones.filter((p) => !sentA.has(p)), 'B reaches exactly the phones A did not');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runB} AND reason = 'frequency_cap'`), sentA.size);
});
