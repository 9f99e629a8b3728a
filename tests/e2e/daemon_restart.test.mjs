// The daemon across restarts (SPEC §3: "A restart of the server resumes every active run from
// its last completed task"): kill -9 during a wait, then a new daemon on the same data source
// completes the run with every task run once and counts equal to independent SQL; a paused
// run stays paused across a clean restart; a one-shot tick missed during downtime is caught
// up; SIGTERM stops the daemon cleanly (exit 0, no sanitizer report).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, sleep, until, q, qInt, qRows } from './lib/daemon.mjs';
import { iso } from './lib/helpers.mjs';

let d;
before(async () => {
  d = await startDaemon({ profiles: 2000, seed: 17 });
});
after(async () => {
  await closeClean(d);
});

const nFR = () => qInt(d.db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
const nFRbuyers = () =>
  qInt(d.db, "SELECT count(*) FROM profiles p WHERE p.country = 'FR' AND EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id)");
const workTablesOf = (runId) =>
  qInt(d.db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'wt\\_${runId}\\_%' ESCAPE '\\'`);

function sanitizerClean(stderr) {
  return !/AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|ThreadSanitizer/.test(stderr);
}

const doc = (name, audience, duration = '3s') => ({
  name,
  activities: [
    { id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
    { id: 'save', type: 'save_audience', audience, mode: 'append' },
    { id: 'hold', type: 'wait', duration },
    { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
    { id: 'tiers', type: 'split', segments: [{ port: 'buyers', filter: { field: 'n_orders', op: 'ge', value: 1 } }], complement: 'rest' },
    { id: 'done', type: 'end' },
  ],
  transitions: [
    { from: 'fr', to: 'save' },
    { from: 'save', to: 'hold' },
    { from: 'hold', to: 'value' },
    { from: 'value', to: 'tiers' },
    { from: 'tiers', port: 'buyers', to: 'done' },
  ],
});

const holdArmed = (runId) =>
  until(() => qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND activity = 'hold' AND status = 'running' AND wake_at IS NOT NULL`) === 1, {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: `run ${runId} to reach its wait`,
  });

test('kill -9 during a wait, restart: the run completes, each task ran once, counts equal SQL', async () => {
  const c = await d.ok('POST', '/campaigns', doc('Crash in a wait', 'restart_fr'));
  await d.ok('POST', `/campaigns/${c.id}/start`);
  const runId = d.lastRunId(c.id);
  await holdArmed(runId);
  const beforeKill = qRows(d.db, `SELECT activity, status, started_at, ended_at, outputs FROM sw_tasks WHERE run_id = ${runId} AND activity IN ('fr', 'save') ORDER BY activity`);
  assert.deepEqual(beforeKill.map((t) => [t.activity, t.status]), [['fr', 'completed'], ['save', 'completed']]);

  const k = await d.kill9();
  assert.equal(k.signal, 'SIGKILL');
  assert.equal(q(d.db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'running', 'the catalog still says running');

  await d.restart();
  assert.equal((await d.api('GET', '/healthz')).status, 200);
  const run = await d.waitRun(runId, ['completed', 'failed', 'stopped'], 30_000);
  assert.equal(run.status, 'completed', JSON.stringify(run));

  // Each task once, all completed; the tasks done before the crash were not run again.
  const tasks = qRows(d.db, `SELECT activity, status, started_at, ended_at, outputs FROM sw_tasks WHERE run_id = ${runId} ORDER BY id`);
  assert.deepEqual(tasks.map((t) => t.activity).sort(), ['done', 'fr', 'hold', 'save', 'tiers', 'value']);
  assert.ok(tasks.every((t) => t.status === 'completed'), JSON.stringify(tasks.map((t) => [t.activity, t.status])));
  const after = Object.fromEntries(tasks.map((t) => [t.activity, t]));
  for (const t of beforeKill) {
    assert.equal(after[t.activity].started_at, t.started_at, `${t.activity} was not re-run`);
    assert.equal(after[t.activity].ended_at, t.ended_at, `${t.activity} was not re-run`);
  }
  assert.ok(after.hold.ended_at - after.hold.started_at >= 3000, 'the wait lasted its 3 s (across the restart)');
  // Counts equal independent SQL.
  assert.equal(run.counts.fr.out, nFR());
  assert.equal(run.counts.save.out, nFR());
  assert.equal(run.counts.hold.out, nFR());
  assert.equal(run.counts.value.out, nFR());
  assert.equal(run.counts.tiers.buyers, nFRbuyers());
  assert.equal(run.counts.tiers.rest, nFR() - nFRbuyers());
  // The audience (append mode) was saved once, not twice.
  const aud = (await d.ok('GET', '/audiences', null, d.tokens.viewer)).items.find((a) => a.name === 'restart_fr');
  assert.equal(aud.count, nFR());
  const table = q(d.db, "SELECT table_name FROM sw_audiences WHERE name = 'restart_fr'");
  assert.equal(qInt(d.db, `SELECT count(*) FROM "${table}"`), nFR());
  // One start, one end in the logs; no work table left behind.
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_logs WHERE run_id = ${runId} AND message = 'run started'`), 1);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_logs WHERE run_id = ${runId} AND message = 'run completed'`), 1);
  assert.equal(workTablesOf(runId), 0);
  const camp = await d.waitCampaign(c.id, 'completed', 10_000);
  assert.ok(camp.last_run_at);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 1, 'no second run');
});

test('SIGTERM stops cleanly; a paused run stays paused across the restart, then resumes', async () => {
  const c = await d.ok('POST', '/campaigns', doc('Paused across restart', 'restart_paused', '2s'));
  await d.ok('POST', `/campaigns/${c.id}/start`);
  const runId = d.lastRunId(c.id);
  await holdArmed(runId);
  assert.equal((await d.ok('POST', `/campaigns/${c.id}/pause`)).status, 'paused');

  const st = await d.stop();
  assert.ok(!st.timedOut, 'SIGTERM stopped the daemon in time');
  assert.equal(st.signal, null, `exit by signal ${st.signal}`);
  assert.equal(st.code, 0, `exit code 0 on SIGTERM; stderr:\n${st.stderr.slice(-3000)}`);
  assert.ok(sanitizerClean(st.stderr), `sanitizer report on stop:\n${st.stderr.slice(-5000)}`);

  await sleep(2500); // past the wait's end while down
  await d.restart();
  await sleep(1500); // workers had time to pick it up, if they wrongly did
  assert.equal(q(d.db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'paused');
  assert.equal((await d.ok('GET', `/campaigns/${c.id}`)).status, 'paused');
  assert.equal(q(d.db, `SELECT status FROM sw_tasks WHERE run_id = ${runId} AND activity = 'value'`), 'pending', 'no new task while paused');

  assert.equal((await d.ok('POST', `/campaigns/${c.id}/resume`)).status, 'running');
  const run = await d.waitRun(runId);
  assert.equal(run.status, 'completed');
  assert.equal(run.counts.tiers.buyers, nFRbuyers());
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND status = 'completed'`), 6);
});

test('a one-shot tick that falls while the daemon is down runs once after the restart', async () => {
  const at = iso(Math.ceil((d.now() + 5000) / 1000) * 1000); // room for a slow SIGTERM under ASan
  const c = await d.ok('POST', '/campaigns', {
    name: 'Tick during downtime',
    timezone: 'UTC',
    schedule: { at },
    activities: [{ id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
    transitions: [],
  });
  const s = await d.ok('POST', `/campaigns/${c.id}/start`);
  assert.equal(s.next_run_at, at);
  const st = await d.stop();
  assert.equal(st.code, 0);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 0, 'stopped before its tick');
  await sleep(Math.max(0, Date.parse(at) - d.now()) + 1000);
  await d.restart();
  const runId = await until(() => d.lastRunId(c.id), { timeoutMs: 15_000, what: 'the catch-up run' });
  const run = await d.waitRun(runId);
  assert.equal(run.status, 'completed');
  assert.equal(run.trigger, 'schedule');
  assert.equal(run.counts.fr.out, nFR());
  const camp = await d.waitCampaign(c.id, 'completed', 10_000);
  assert.equal(camp.next_run_at, null);
  await sleep(600);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 1);
});
