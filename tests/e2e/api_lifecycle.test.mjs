// The campaign lifecycle through a real daemon (SPEC §3): start, run now, pause, resume, stop,
// retry, duplicate, edit and delete, each allowed only from the statuses the spec lists (409
// with the current status otherwise). Runs are held in `running` by a `wait` activity. Every
// count is checked against SQL written here and run with the sqlite3 shell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, chain, sleep, until, q, qInt, qRows } from './lib/daemon.mjs';

let d;
let A; // an editor token: editors write and run
before(async () => {
  d = await startDaemon({ profiles: 1500, seed: 11 });
  A = d.tokens.editor;
});
after(async () => {
  await closeClean(d);
});

const FR = { field: 'country', op: 'eq', value: 'FR' };
const nFR = () => qInt(d.db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
const nFRbuyers = () =>
  qInt(d.db, "SELECT count(*) FROM profiles p WHERE p.country = 'FR' AND EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id)");

/** fr → wait(duration) → value (enrich order count) → buyers split. */
function waiting(name, duration = '3s', extra = {}) {
  return {
    name,
    activities: [
      { id: 'fr', type: 'build_audience', filter: FR },
      { id: 'hold', type: 'wait', duration },
      { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
      { id: 'tiers', type: 'split', segments: [{ port: 'buyers', filter: { field: 'n_orders', op: 'ge', value: 1 } }], complement: 'rest' },
    ],
    transitions: [
      { from: 'fr', to: 'hold' },
      { from: 'hold', to: 'value' },
      { from: 'value', to: 'tiers' },
    ],
    ...extra,
  };
}

async function create(doc) {
  const r = await d.api('POST', '/campaigns', doc, A);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'draft');
  return r.json;
}

async function action(id, what, expect = 200) {
  const r = await d.api('POST', `/campaigns/${id}/${what}`, null, A);
  assert.equal(r.status, expect, `${what} on ${id}: ${r.text}`);
  return r.json;
}

/** A refused action: 409, the standard error shape, the current status in the details. */
async function refused(method, path, status, body = null) {
  const statuses = [].concat(status);
  const r = await d.api(method, path, body, A);
  assert.equal(r.status, 409, `${method} ${path} should be refused while ${statuses}: ${r.status} ${r.text}`);
  assert.equal(typeof r.json.error.code, 'string');
  const named = statuses.filter((s) => r.json.error.message.includes(s));
  assert.equal(named.length, 1, `the message names the current status (${statuses}): ${r.json.error.message}`);
  assert.ok(Array.isArray(r.json.error.details));
  assert.ok(
    r.json.error.details.some((x) => x.message === named[0] || (x.message || '').includes(named[0])),
    `details carry the current status ${named[0]}: ${JSON.stringify(r.json.error.details)}`,
  );
  return r.json;
}

const waitTaskArmed = (runId) =>
  until(() => qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND activity = 'hold' AND wake_at IS NOT NULL AND status <> 'completed'`) === 1, {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: 'the wait task to be armed',
  });

const campaignState = (id) => q(d.db, `SELECT status || '|' || coalesce(next_run_at, '') FROM sw_campaigns WHERE id = ${id}`);

test('start without a schedule runs now; a running campaign refuses delete/edit/start but duplicates; run-now and delete after', async () => {
  const c = await create(waiting('Lifecycle main', '5s', { description: 'held by a wait', tags: ['x'] }));
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 0, 'a draft has no run');

  const started = await action(c.id, 'start');
  assert.equal(started.status, 'running');
  assert.equal(started.next_run_at, null, 'no schedule: nothing armed');
  const runId = d.lastRunId(c.id);
  assert.ok(runId > 0, 'start created a run now');
  assert.equal(q(d.db, `SELECT trigger FROM sw_runs WHERE id = ${runId}`), 'manual');
  await waitTaskArmed(runId);

  const got = await d.ok('GET', `/campaigns/${c.id}`, null, d.tokens.viewer);
  assert.equal(got.status, 'running');
  const run = await d.ok('GET', `/runs/${runId}`, null, d.tokens.viewer);
  assert.equal(run.status, 'running');
  assert.equal(run.campaign_id, c.id);

  // Refused while running, and nothing changes.
  const before = q(d.db, `SELECT d.document || c.updated_at || c.status FROM sw_campaigns c JOIN sw_campaign_documents d ON d.campaign_id = c.id WHERE c.id = ${c.id}`);
  await refused('DELETE', `/campaigns/${c.id}`, 'running');
  await refused('PUT', `/campaigns/${c.id}`, 'running', waiting('Renamed while running'));
  await refused('POST', `/campaigns/${c.id}/start`, 'running');
  await refused('POST', `/campaigns/${c.id}/resume`, 'running');
  await refused('POST', `/campaigns/${c.id}/retry`, 'running');
  assert.equal(q(d.db, `SELECT d.document || c.updated_at || c.status FROM sw_campaigns c JOIN sw_campaign_documents d ON d.campaign_id = c.id WHERE c.id = ${c.id}`), before);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE id = ${c.id}`), 1);
  // run-now while a run is active: 409 (one active run at a time).
  const rn = await d.api('POST', `/campaigns/${c.id}/run-now`, null, A);
  assert.equal(rn.status, 409, rn.text);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 1);

  // Duplicate works while running: a draft copy with the definition only, then "(copy 2)".
  const dup = await d.api('POST', `/campaigns/${c.id}/duplicate`, null, A);
  assert.equal(dup.status, 201, dup.text);
  assert.equal(dup.json.name, 'Lifecycle main (copy)');
  assert.equal(dup.json.status, 'draft');
  assert.equal(dup.json.last_run_at, null);
  assert.equal(dup.json.description, 'held by a wait');
  assert.deepEqual(dup.json.tags, ['x']);
  assert.notEqual(dup.json.id, c.id);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${dup.json.id}`), 0, 'the copy has no runs');
  const full = await d.ok('GET', `/campaigns/${dup.json.id}`);
  assert.deepEqual(full.document.activities, waiting('x', '5s').activities);
  assert.deepEqual(full.document.transitions, waiting('x').transitions);
  const dup2 = await d.api('POST', `/campaigns/${c.id}/duplicate`, null, A);
  assert.equal(dup2.status, 201, dup2.text);
  assert.equal(dup2.json.name, 'Lifecycle main (copy 2)');
  assert.equal(qInt(d.db, "SELECT count(*) FROM sw_campaigns WHERE name LIKE 'Lifecycle main%'"), 3);

  // The run completes; the campaign is completed; counts equal SQL.
  const done = await d.waitRun(runId);
  assert.equal(done.status, 'completed');
  assert.equal(done.counts.fr.out, nFR());
  assert.equal(done.counts.hold.out, nFR());
  assert.equal(done.counts.tiers.buyers, nFRbuyers());
  assert.equal(done.counts.tiers.rest, nFR() - nFRbuyers());
  const after1 = await d.waitCampaign(c.id, 'completed', 10_000);
  assert.ok(after1.last_run_at, 'last_run_at is set');
  assert.equal(after1.last_error_activity, null);

  // run-now from completed: an extra run.
  const rn2 = await action(c.id, 'run-now');
  assert.equal(rn2.status, 'running');
  const run2 = d.lastRunId(c.id);
  assert.ok(run2 > runId);
  assert.equal(q(d.db, `SELECT trigger FROM sw_runs WHERE id = ${run2}`), 'run-now');
  assert.equal((await d.waitRun(run2)).status, 'completed');
  await d.waitCampaign(c.id, 'completed', 10_000);
  // run-now from draft is refused.
  await refused('POST', `/campaigns/${dup.json.id}/run-now`, 'draft');

  // Delete once completed: the campaign, its runs, tasks and logs go.
  const del = await d.api('DELETE', `/campaigns/${c.id}`, null, A);
  assert.equal(del.status, 204, del.text);
  assert.equal((await d.api('GET', `/campaigns/${c.id}`, null, A)).status, 404);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE id = ${c.id}`), 0);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 0);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id IN (${runId}, ${run2})`), 0);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_logs WHERE campaign_id = ${c.id}`), 0);
  // The copies are untouched.
  assert.equal(qInt(d.db, "SELECT count(*) FROM sw_campaigns WHERE name LIKE 'Lifecycle main (copy%'"), 2);
  // A copy of a copy.
  const dup3 = await d.ok('POST', `/campaigns/${dup.json.id}/duplicate`);
  assert.equal(dup3.name, 'Lifecycle main (copy) (copy)');
});

test('pause: no new task starts while paused; resume continues where it stopped', async () => {
  const c = await create(waiting('Pause me', '2s'));
  await action(c.id, 'start');
  const runId = d.lastRunId(c.id);
  await waitTaskArmed(runId);
  const wake = qInt(d.db, `SELECT wake_at FROM sw_tasks WHERE run_id = ${runId} AND activity = 'hold'`);

  const p = await action(c.id, 'pause');
  assert.equal(p.status, 'paused');
  assert.equal((await d.ok('GET', `/runs/${runId}`)).status, 'paused');
  await refused('POST', `/campaigns/${c.id}/pause`, 'paused');
  await refused('POST', `/campaigns/${c.id}/start`, 'paused');
  await refused('POST', `/campaigns/${c.id}/run-now`, 'paused');
  await refused('POST', `/campaigns/${c.id}/retry`, 'paused');
  const tr = await d.api('POST', `/campaigns/${c.id}/trigger`, { variables: {} }, A);
  assert.equal(tr.status, 409, `trigger while paused: ${tr.text}`);

  // Stay paused well past the wait's end: the tasks after it must not start.
  const wait = Math.max(0, wake - d.now()) + 2500;
  await sleep(wait);
  const tasks = qRows(d.db, `SELECT activity, status, started_at FROM sw_tasks WHERE run_id = ${runId} ORDER BY id`);
  const by = Object.fromEntries(tasks.map((t) => [t.activity, t]));
  assert.equal(by.value.status, 'pending', `value must not start while paused: ${JSON.stringify(tasks)}`);
  assert.equal(by.value.started_at, null);
  assert.equal(by.tiers.status, 'pending');
  assert.equal(q(d.db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'paused');
  assert.equal(q(d.db, `SELECT status FROM sw_campaigns WHERE id = ${c.id}`), 'paused');
  // Editing a paused campaign is allowed (and does not touch the paused run's definition).
  const put = await d.api('PUT', `/campaigns/${c.id}`, waiting('Pause me (edited)', '2s'), A);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.name, 'Pause me (edited)');
  assert.equal(put.json.status, 'paused');

  const r = await action(c.id, 'resume');
  assert.equal(r.status, 'running');
  // The wait is over: the run may already have completed by now.
  await refused('POST', `/campaigns/${c.id}/resume`, ['running', 'completed']);
  const done = await d.waitRun(runId, ['completed', 'failed', 'stopped'], 20_000);
  assert.equal(done.status, 'completed');
  assert.equal(done.counts.value.out, nFR());
  assert.equal(done.counts.tiers.buyers, nFRbuyers());
  // One run, every task once.
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 1);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND status = 'completed'`), 4);
  await d.waitCampaign(c.id, 'completed', 10_000);
});

test('stop: the active run is stopped, its tasks skipped and work tables dropped; a scheduled campaign is disarmed', async () => {
  const c = await create(waiting('Stop me', '60s'));
  await action(c.id, 'start');
  const runId = d.lastRunId(c.id);
  await waitTaskArmed(runId);
  assert.ok(
    qInt(d.db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'wt\\_${runId}\\_%' ESCAPE '\\'`) > 0,
    'the running run has work tables',
  );
  const s = await action(c.id, 'stop');
  assert.equal(s.status, 'completed');
  assert.equal(s.next_run_at, null);
  assert.equal(q(d.db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'stopped');
  assert.ok(qInt(d.db, `SELECT ended_at FROM sw_runs WHERE id = ${runId}`) > 0);
  assert.equal(
    qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND status IN ('pending', 'running')`),
    0,
    'no task left pending or running',
  );
  assert.equal(q(d.db, `SELECT status FROM sw_tasks WHERE run_id = ${runId} AND activity = 'fr'`), 'completed');
  assert.equal(q(d.db, `SELECT status FROM sw_tasks WHERE run_id = ${runId} AND activity = 'value'`), 'skipped');
  await refused('POST', `/campaigns/${c.id}/stop`, 'completed');
  await refused('POST', `/campaigns/${c.id}/pause`, 'completed');
  // Stopped runs stay stopped (a worker must not complete them afterwards).
  await sleep(500);
  assert.equal(q(d.db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'stopped');

  // A scheduled campaign: start arms it (running, next_run_at, no run); stop disarms it.
  const sc = await create({
    ...chain('Scheduled stop', [{ id: 'all', type: 'build_audience' }]),
    timezone: 'Europe/Paris',
    schedule: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', start: '2027-03-01T00:00:00' },
  });
  const armed = await action(sc.id, 'start');
  assert.equal(armed.status, 'running');
  assert.equal(armed.next_run_at, '2027-03-01T08:00:00Z', '09:00 Paris (CET) on Monday 1 March 2027');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${sc.id}`), 0, 'a schedule runs at its ticks, not now');
  await refused('DELETE', `/campaigns/${sc.id}`, 'running');
  const st = await action(sc.id, 'stop');
  assert.equal(st.status, 'completed');
  assert.equal(st.next_run_at, null);
  assert.equal(campaignState(sc.id), 'completed|');
  // Now it can be deleted.
  assert.equal((await d.api('DELETE', `/campaigns/${sc.id}`, null, A)).status, 204);
  // Pause and resume from draft: 409 with the status.
  await refused('POST', `/campaigns/${c.id}/resume`, 'completed');
  const draft = await create(waiting('Still a draft'));
  await refused('POST', `/campaigns/${draft.id}/pause`, 'draft');
  await refused('POST', `/campaigns/${draft.id}/stop`, 'draft');
  await refused('POST', `/campaigns/${draft.id}/retry`, 'draft');

  // SPEC §3: work tables are dropped when a run ends (keep_interim_results is off here).
  await until(
    () => qInt(d.db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'wt\\_${runId}\\_%' ESCAPE '\\'`) === 0,
    { timeoutMs: 5_000, what: `the work tables of stopped run ${runId} to be dropped` },
  );
});

test('delete removes the work tables a run kept (keep_interim_results)', async () => {
  const c = await create({
    ...chain('Kept tables', [{ id: 'fr', type: 'build_audience', filter: FR }, { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] }]),
    options: { keep_interim_results: true },
  });
  await action(c.id, 'start');
  const runId = d.lastRunId(c.id);
  assert.equal((await d.waitRun(runId)).status, 'completed');
  await d.waitCampaign(c.id, 'completed', 10_000);
  const kept = () => qInt(d.db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'wt\\_${runId}\\_%' ESCAPE '\\'`);
  assert.ok(kept() > 0, 'keep_interim_results keeps the work tables after the run');
  assert.equal((await d.api('DELETE', `/campaigns/${c.id}`, null, A)).status, 204);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE id = ${runId}`), 0);
  assert.equal(kept(), 0, `SPEC §3: delete removes the work tables of run ${runId}`);
});

test('a failing activity gives failed + last_error_activity; retry re-executes it once the cause is fixed', async () => {
  const nameAud = 'lifecycle_later';
  const c = await create(
    chain('Reads a missing audience', [
      { id: 'src', type: 'read_audience', audience: nameAud },
      { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
    ]),
  );
  await action(c.id, 'start');
  const runId = d.lastRunId(c.id);
  const failed = await d.waitRun(runId);
  assert.equal(failed.status, 'failed');
  assert.ok(failed.error, 'the run carries an error');
  const camp = await d.waitCampaign(c.id, 'failed', 10_000);
  assert.equal(camp.last_error_activity, 'src');
  const tasks = (await d.ok('GET', `/runs/${runId}/tasks`)).items;
  const src = tasks.find((t) => t.activity === 'src');
  assert.equal(src.status, 'failed');
  assert.match(src.error, new RegExp(nameAud));
  assert.equal(tasks.find((t) => t.activity === 'value').status, 'skipped');
  const logs = await d.ok('GET', `/campaigns/${c.id}/logs?level=error`);
  assert.ok(logs.items.length >= 1 && logs.items.every((l) => l.level === 'error'), JSON.stringify(logs));
  await refused('POST', `/campaigns/${c.id}/pause`, 'failed');
  await refused('POST', `/campaigns/${c.id}/run-now`, 'failed');

  // Fix the cause: another campaign saves the audience (FR profiles).
  const saver = await create(chain('Saves the audience', [{ id: 'fr', type: 'build_audience', filter: FR }, { id: 'save', type: 'save_audience', audience: nameAud, mode: 'replace' }]));
  await action(saver.id, 'start');
  assert.equal((await d.waitRun(d.lastRunId(saver.id))).status, 'completed');
  const auds = await d.ok('GET', '/audiences', null, d.tokens.viewer);
  const aud = auds.items.find((x) => x.name === nameAud);
  assert.ok(aud, JSON.stringify(auds));
  assert.equal(aud.count, nFR());
  assert.equal(aud.dimension, 'profiles');

  // Retry: the same run; the failed task and what follows run again; running, then completed.
  const rt = await action(c.id, 'retry');
  assert.equal(rt.status, 'running');
  assert.equal(rt.last_error_activity, null);
  const retried = await d.waitRun(runId);
  assert.equal(retried.status, 'completed', JSON.stringify(retried));
  assert.equal(retried.counts.src.out, nFR());
  assert.equal(retried.counts.value.out, nFR());
  assert.equal(d.lastRunId(c.id), runId, 'retry continues the failed run, no new run');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND status = 'completed'`), 2);
  const fixed = await d.waitCampaign(c.id, 'completed', 10_000);
  assert.equal(fixed.last_error_activity, null);
  await refused('POST', `/campaigns/${c.id}/retry`, 'completed');
});

test('editing a failed campaign and starting it again fixes it', async () => {
  const broken = chain('Broken then fixed', [
    { id: 'src', type: 'read_audience', audience: 'lifecycle_never_saved' },
    { id: 'hold', type: 'wait', duration: '1s' },
  ]);
  const c = await create(broken);
  await action(c.id, 'start');
  const run1 = d.lastRunId(c.id);
  assert.equal((await d.waitRun(run1)).status, 'failed');
  const f = await d.waitCampaign(c.id, 'failed', 10_000);
  assert.equal(f.last_error_activity, 'src');

  const fixedDoc = chain('Broken then fixed', [
    { id: 'src', type: 'build_audience', filter: FR },
    { id: 'hold', type: 'wait', duration: '1s' },
  ]);
  const put = await d.api('PUT', `/campaigns/${c.id}`, fixedDoc, A);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.document.activities[0].type, 'build_audience');
  assert.equal(put.json.status, 'failed', 'an edit does not change the status');
  // An invalid edit is refused with paths, and the stored definition stays.
  const bad = await d.api('PUT', `/campaigns/${c.id}`, { ...fixedDoc, activities: [{ id: 'src', type: 'nope' }] }, A);
  assert.equal(bad.status, 422, bad.text);
  assert.ok(bad.json.error.details.some((x) => (x.path || '').startsWith('$.activities[0]')), bad.text);
  assert.equal((await d.ok('GET', `/campaigns/${c.id}`)).document.activities[0].type, 'build_audience');

  const s = await action(c.id, 'start');
  assert.equal(s.status, 'running');
  const run2 = d.lastRunId(c.id);
  assert.ok(run2 > run1, 'start from failed creates a new run');
  const done = await d.waitRun(run2);
  assert.equal(done.status, 'completed');
  assert.equal(done.counts.src.out, nFR());
  const camp = await d.waitCampaign(c.id, 'completed', 10_000);
  assert.equal(camp.last_error_activity, null);
  const runs = await d.ok('GET', `/campaigns/${c.id}/runs`);
  assert.deepEqual(
    runs.items.map((r) => [r.id, r.status]),
    [
      [run2, 'completed'],
      [run1, 'failed'],
    ],
  );
});
