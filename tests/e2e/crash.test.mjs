// kill -9 at any moment of a run, then `stepwise resume`: the run completes from the catalog,
// completed tasks are not repeated, every count equals independent SQL, no work table is
// left behind, and an audience saved before the crash is not saved twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, swEnv, sw, makeTmp, writeDoc, genData, sqlInt, sql, workTables } from './lib/helpers.mjs';

let tmp, db;
before(() => {
  tmp = makeTmp('sw-crash-');
  db = genData(tmp.dir, 3000, 7);
});
after(() => tmp.cleanup());

const doc = {
  name: 'crash test',
  activities: [
    { id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
    { id: 'save', type: 'save_audience', audience: 'crash_fr', mode: 'append' },
    { id: 'pause', type: 'wait', duration: '3s' },
    { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
    { id: 'tiers', type: 'split', segments: [{ port: 'buyers', filter: { field: 'n_orders', op: 'ge', value: 1 } }], complement: 'none' },
    { id: 'done', type: 'end' },
  ],
  transitions: [
    { from: 'fr', to: 'save' }, { from: 'save', to: 'pause' }, { from: 'pause', to: 'value' },
    { from: 'value', to: 'tiers' }, { from: 'tiers', port: 'buyers', to: 'done' },
  ],
};

function startRun(file) {
  return spawn(BIN, ['run', file, '--data', db, '--json'], { env: swEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

test('kill -9 during a wait, then resume: the run completes with the right counts', async () => {
  const file = writeDoc(tmp.dir, doc);
  const child = startRun(file);
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  // The wait task is recorded with its wake-up time once the first tasks are committed.
  let waiting = false;
  for (let i = 0; i < 100 && !waiting; i++) {
    await sleep(50);
    try {
      waiting = sqlInt(db, "SELECT count(*) FROM sw_tasks WHERE activity = 'pause' AND wake_at IS NOT NULL") > 0;
    } catch {
      /* the database may be busy for an instant */
    }
  }
  assert.ok(waiting, 'the run reached its wait');
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL');

  const runId = sqlInt(db, "SELECT max(id) FROM sw_runs");
  assert.equal(sql(db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'running');
  const saved = sqlInt(db, "SELECT count(*) FROM sw_audiences WHERE name = 'crash_fr'");
  assert.equal(saved, 1);

  const res = sw(['resume', String(runId), '--data', db, '--json']);
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  assert.equal(out.run.status, 'completed');

  const fr = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
  const buyers = sqlInt(db, "SELECT count(*) FROM profiles p WHERE country = 'FR' AND EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id)");
  assert.ok(fr > 100 && buyers > 0 && buyers < fr);
  assert.equal(out.counts.fr.out, fr);
  assert.equal(out.counts.save.out, fr);
  assert.equal(out.counts.value.out, fr);
  assert.equal(out.counts.tiers.buyers, buyers);
  assert.equal(out.counts.tiers.none, fr - buyers);
  // Each task ran to completion exactly once; the audience holds each key once.
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND status = 'completed'`), 6);
  const table = sql(db, "SELECT table_name FROM sw_audiences WHERE name = 'crash_fr'");
  assert.equal(sqlInt(db, `SELECT count(*) FROM "${table}"`), fr);
  assert.deepEqual(workTables(db).filter((t) => t.startsWith(`wt_${runId}_`)), []);
  // Resuming a finished run is refused.
  const again = sw(['resume', String(runId), '--data', db]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /completed, not running/);
});

test('kill -9 after each stage of a run: every resumed run gives the same counts', async () => {
  // Short waits between the stages make each stage a window the kill can land in.
  const w = (id) => ({ id, type: 'wait', duration: '0.6s' });
  const staged = {
    name: 'crash staged',
    activities: [
      doc.activities[0], w('w1'), doc.activities[3], w('w2'), doc.activities[4], doc.activities[5],
    ],
    transitions: [
      { from: 'fr', to: 'w1' }, { from: 'w1', to: 'value' }, { from: 'value', to: 'w2' },
      { from: 'w2', to: 'tiers' }, { from: 'tiers', port: 'buyers', to: 'done' },
    ],
  };
  staged.activities[1].duration = 'PT1S';
  staged.activities[3].duration = 'PT1S';
  const file = writeDoc(tmp.dir, staged);
  const first = sw(['run', file, '--data', db, '--json']);
  assert.equal(first.status, 0, first.stderr);
  const expected = JSON.parse(first.stdout).counts;
  for (const stage of [1, 2, 3]) {
    const before = sqlInt(db, 'SELECT coalesce(max(id), 0) FROM sw_runs');
    const child = startRun(file);
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    let runId = 0;
    let done = 0;
    for (let i = 0; i < 400 && (runId <= before || done < stage); i++) {
      await sleep(20);
      try {
        runId = sqlInt(db, 'SELECT coalesce(max(id), 0) FROM sw_runs');
        done = sqlInt(db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${runId} AND status = 'completed'`);
      } catch {
        /* busy for an instant */
      }
    }
    child.kill('SIGKILL');
    const { signal } = await exited;
    assert.equal(signal, 'SIGKILL', `the run was still going after ${stage} task(s)`);
    assert.equal(sql(db, `SELECT status FROM sw_runs WHERE id = ${runId}`), 'running');
    const res = sw(['resume', String(runId), '--data', db, '--json']);
    assert.equal(res.status, 0, `resume after ${stage} task(s): ${res.stderr}`);
    const out = JSON.parse(res.stdout);
    assert.deepEqual(out.counts, expected, `counts after a kill at stage ${stage}`);
  }
  assert.deepEqual(workTables(db), []);
  assert.equal(sqlInt(db, "SELECT count(*) FROM sw_runs WHERE status = 'running'"), 0);
});
