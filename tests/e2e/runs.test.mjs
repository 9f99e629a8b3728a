// Run-level behaviour: --dry-run, channel activities without delivery, seeded sampling,
// incremental targeting, --var, and the work-table lifecycle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  makeTmp, genData, runDoc, runOk, writeDoc, sw, sql, sqlInt, sqlRows, sqlList, portKeys,
  workTables, taskOutputs, iso, NOW_MS, HOUR, DAY,
} from './lib/helpers.mjs';

let cleanup, tmp, db;

before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 2000, 17);
});
after(() => cleanup?.());

const FR = "SELECT count(*) FROM profiles WHERE country = 'FR'";
const runTables = (runId) => workTables(db).filter((t) => t.startsWith(`wt_${runId}_`));

test('--dry-run: counts reported, nothing saved, exported or sent; exit 0', () => {
  // An audience saved for real first: the simulation must not replace it.
  runOk(tmp, db, {
    name: 'e2e dry setup',
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'IT' } },
      { id: 'save', type: 'save_audience', audience: 'e2e_dry_audience', mode: 'replace' },
    ],
    transitions: [{ from: 'src', to: 'save' }],
  });
  const saved = sql(db, "SELECT table_name FROM sw_audiences WHERE name = 'e2e_dry_audience'");
  const savedKeys = () => sql(db, `SELECT group_concat(_key) FROM (SELECT _key FROM "${saved}" ORDER BY _key)`);
  const keysBefore = savedKeys();
  const before = sql(db, 'SELECT * FROM sw_audiences ORDER BY id');
  const exportDir = path.join(tmp, 'dry-exports');
  const doc = {
    name: 'e2e dry',
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' },
        incremental: { exclude_previous: true } },
      { id: 'sp', type: 'split', segments: [{ port: 'optin', filter: { field: 'email_opt_in', op: 'eq', value: true } }],
        complement: 'rest' },
      { id: 'save', type: 'save_audience', audience: 'e2e_dry_audience' },
      { id: 'csv', type: 'export', path: 'dry.csv' },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com',
        subject: 'Hello {{first_name | default: "you"}}', html: '<p>Hi</p>' },
      { id: 'after_mail', type: 'end' },
      { id: 'pause', type: 'wait', duration: '2d' },
    ],
    transitions: [
      { from: 'src', to: 'sp' }, { from: 'sp', port: 'optin', to: 'save' }, { from: 'sp', port: 'optin', to: 'csv' },
      { from: 'sp', port: 'optin', to: 'mail' }, { from: 'mail', to: 'after_mail' },
      { from: 'sp', port: 'rest', to: 'pause' },
    ],
  };
  const { res, out } = runDoc(tmp, db, doc, ['--dry-run', '--export-dir', exportDir]);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.signal, null);
  assert.equal(out.run.status, 'completed');
  assert.equal(out.run.simulation, true);
  const fr = sqlInt(db, FR);
  const optin = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1");
  assert.deepEqual(out.counts.src, { out: fr });
  assert.deepEqual(out.counts.sp, { optin, rest: fr - optin });
  assert.deepEqual(out.counts.save, { out: optin });
  assert.deepEqual(out.counts.csv, { out: optin });
  assert.deepEqual(out.counts.pause, { out: fr - optin }, 'a simulated wait reports its count at once');
  const status = Object.fromEntries(out.tasks.map((t) => [t.activity, t.status]));
  assert.equal(status.mail, 'skipped', 'the channel activity is skipped, not failed');
  assert.equal(status.after_mail, 'skipped');
  assert.equal(sql(db, 'SELECT * FROM sw_audiences ORDER BY id'), before, 'no audience saved');
  assert.equal(savedKeys(), keysBefore, 'the saved audience keeps its records');
  assert.ok(!existsSync(path.join(exportDir, 'dry.csv')), 'no export file');
  if (existsSync(exportDir)) assert.deepEqual(readdirSync(exportDir), []);
  assert.equal(sqlInt(db, 'SELECT count(*) FROM sw_incremental'), 0, 'a simulation records no incremental keys');
  const [r] = sqlRows(db, `SELECT simulation, status FROM sw_runs WHERE id = ${out.run.id}`);
  assert.deepEqual(r, { simulation: 1, status: 'completed' });
  assert.deepEqual(runTables(out.run.id), []);
});

test('a run that reaches an email activity fails clearly (exit 1, run failed)', () => {
  const doc = {
    name: 'e2e email',
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi', text: 'Hello' },
      { id: 'next', type: 'end' },
    ],
    transitions: [{ from: 'src', to: 'mail' }, { from: 'mail', to: 'next' }],
  };
  const { res, out } = runDoc(tmp, db, doc);
  assert.equal(res.status, 1);
  assert.equal(res.signal, null);
  assert.match(res.stderr, /nothing was sent/);
  assert.match(res.stderr, /mail/);
  assert.equal(out.run.status, 'failed');
  const t = out.tasks.find((x) => x.activity === 'mail');
  assert.equal(t.status, 'failed');
  assert.match(t.error, /nothing was sent/);
  assert.equal(out.tasks.find((x) => x.activity === 'next').status, 'skipped');
  assert.equal(sql(db, `SELECT status FROM sw_runs WHERE id = ${out.run.id}`), 'failed');
  assert.match(sql(db, `SELECT last_error_activity FROM sw_campaigns WHERE name = 'e2e email'`), /mail/);
  assert.deepEqual(runTables(out.run.id), [], 'a failed run drops its work tables too');
});

test('random sampling: same seed, same keys; other seed, other keys; seed recorded', () => {
  const doc = {
    name: 'e2e sampling',
    options: { keep_interim_results: true },
    activities: [
      { id: 'all', type: 'build_audience' },
      { id: 'sp', type: 'split', segments: [{ port: 's', percent: 20 }, { port: 'l', limit: 50 }] },
      { id: 'dd', type: 'deduplicate', fields: ['country'], keep: { count: 3, method: 'random' } },
    ],
    transitions: [{ from: 'all', to: 'sp' }, { from: 'all', to: 'dd' }],
  };
  const total = sqlInt(db, 'SELECT count(*) FROM profiles');
  const sample = (seed) => {
    const out = runOk(tmp, db, doc, seed ? ['--seed', String(seed)] : []);
    assert.equal(out.counts.sp.s, Math.floor((total * 20) / 100));
    assert.equal(out.counts.sp.l, 50);
    return {
      run: out.run.id,
      s: portKeys(db, out.run.id, 'sp', 's'),
      l: portKeys(db, out.run.id, 'sp', 'l'),
      dd: portKeys(db, out.run.id, 'dd', 'out'),
      seed: sql(db, `SELECT seed FROM sw_runs WHERE id = ${out.run.id}`), // text: 63-bit
    };
  };
  const a = sample(4242);
  const b = sample(4242);
  const c = sample(4243);
  const d = sample(0);
  assert.equal(a.seed, '4242');
  assert.equal(c.seed, '4243');
  assert.ok(/^[1-9][0-9]*$/.test(d.seed), `a random seed is recorded: ${d.seed}`);
  assert.deepEqual(a.s, b.s, 'same seed, same sample');
  assert.deepEqual(a.l, b.l);
  assert.deepEqual(a.dd, b.dd);
  assert.notDeepEqual(a.s, c.s, 'another seed, another sample');
  assert.notDeepEqual(a.dd, c.dd);
  assert.notDeepEqual(a.s, d.s);
  // the samples are disjoint and drawn from the population
  const s = new Set(a.s);
  for (const k of a.l) assert.ok(!s.has(k));
  // random dedup keeps 3 per country (or all of a smaller country)
  const perCountry = sqlInt(db, 'SELECT sum(min(c, 3)) FROM (SELECT count(*) AS c FROM profiles GROUP BY country)');
  assert.equal(a.dd.length, perCountry);
  const kept = sqlRows(db, `SELECT country, count(*) AS c FROM profiles WHERE id IN (${a.dd.join(',')}) GROUP BY country`);
  for (const r of kept) assert.ok(r.c <= 3);
  // replaying a run's seed reproduces it
  const e = sample(d.seed);
  assert.deepEqual(e.s, d.s);
});

test('incremental exclude_previous: the next run returns only new keys', () => {
  const doc = {
    name: 'e2e incremental keys',
    options: { keep_interim_results: true },
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'PT' },
        incremental: { exclude_previous: true } },
    ],
    transitions: [],
  };
  const pt = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'PT'");
  assert.ok(pt > 0);
  const r1 = runOk(tmp, db, doc);
  assert.equal(r1.counts.src.out, pt);
  const newIds = sqlList(db, `INSERT INTO profiles (id, email, country, email_opt_in, sms_opt_in, push_opt_in, created_at)
      VALUES (90001, 'n1@example.com', 'PT', 1, 0, 0, '2026-06-15T10:00:00Z'),
             (90002, 'n2@example.com', 'PT', 0, 0, 0, '2026-06-15T10:00:00Z'),
             (90003, NULL, 'PT', 1, 1, 1, '2026-06-15T10:00:00Z'),
             (90004, 'n4@example.com', 'ES', 1, 0, 0, '2026-06-15T10:00:00Z');
    SELECT id FROM profiles WHERE id > 90000 AND country = 'PT' ORDER BY id;`).map(Number);
  const dry = runOk(tmp, db, doc, ['--dry-run']);
  assert.equal(dry.counts.src.out, newIds.length);
  const r2 = runOk(tmp, db, doc);
  assert.equal(r2.counts.src.out, newIds.length, 'the simulation recorded nothing');
  assert.deepEqual(portKeys(db, r2.run.id, 'src', 'out'), newIds);
  const r3 = runOk(tmp, db, doc);
  assert.equal(r3.counts.src.out, 0);
  // another campaign (another name) has its own history
  const other = runOk(tmp, db, { ...doc, name: 'e2e incremental keys 2' });
  assert.equal(other.counts.src.out, pt + newIds.length);
});

test('incremental date_field: only rows newer than the previous run start', () => {
  const doc = {
    name: 'e2e incremental date',
    options: { keep_interim_results: true },
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'SE' },
        incremental: { date_field: 'created_at' } },
    ],
    transitions: [],
  };
  const se = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'SE'");
  const r1 = runOk(tmp, db, doc);
  assert.equal(r1.counts.src.out, se, 'the first run takes everything');
  sql(db, `INSERT INTO profiles (id, email, country, email_opt_in, sms_opt_in, push_opt_in, created_at) VALUES
      (91001, 'late1@example.com', 'SE', 1, 0, 0, '${iso(NOW_MS + HOUR)}'),
      (91002, 'late2@example.com', 'SE', 1, 0, 0, '${iso(NOW_MS + 3 * HOUR)}'),
      (91003, 'backdated@example.com', 'SE', 1, 0, 0, '${iso(NOW_MS - HOUR)}'),
      (91004, 'other@example.com', 'NO', 1, 0, 0, '${iso(NOW_MS + HOUR)}');`);
  const tomorrow = { env: { STEPWISE_NOW: iso(NOW_MS + DAY) } };
  const dry = runOk(tmp, db, doc, ['--dry-run'], tomorrow);
  assert.equal(dry.counts.src.out, 2);
  const r2 = runOk(tmp, db, doc, [], tomorrow);
  assert.equal(r2.counts.src.out, sqlInt(db,
    `SELECT count(*) FROM profiles WHERE country = 'SE' AND created_at > '${iso(NOW_MS)}'`));
  assert.deepEqual(portKeys(db, r2.run.id, 'src', 'out'), [91001, 91002]);
  const r3 = runOk(tmp, db, doc, [], { env: { STEPWISE_NOW: iso(NOW_MS + 2 * DAY) } });
  assert.equal(r3.counts.src.out, 0);
});

test('--var overrides a declared variable used as {"var": ...} in filters', () => {
  const doc = {
    name: 'e2e vars',
    variables: { market: 'FR', min_orders: 3, optin: true },
    activities: [
      { id: 'src', type: 'build_audience', filter: { all: [
        { field: 'country', op: 'eq', value: { var: 'market' } },
        { field: 'email_opt_in', op: 'eq', value: { var: 'optin' } },
        { link: 'orders', aggregate: 'count', op: 'ge', value: { var: 'min_orders' } },
      ] } },
      { id: 'branch', type: 'test', conditions: [{ port: 'france', variable: 'market', op: 'eq', value: 'FR' }] },
    ],
    transitions: [{ from: 'src', to: 'branch' }],
  };
  const expect = (market, min, optin) => sqlInt(db, `SELECT count(*) FROM profiles p WHERE country = '${market}'
      AND email_opt_in = ${optin} AND (SELECT count(*) FROM orders o WHERE o.profile_id = p.id) >= ${min}`);
  const d = runOk(tmp, db, doc);
  assert.equal(d.counts.src.out, expect('FR', 3, 1));
  assert.deepEqual(d.counts.branch, { france: d.counts.src.out, default: 0 });
  const o = runOk(tmp, db, doc, ['--var', 'market=DE', '--var', 'min_orders=6', '--var', 'optin=false']);
  assert.equal(o.counts.src.out, expect('DE', 6, 0));
  assert.deepEqual(o.counts.branch, { france: 0, default: o.counts.src.out }, 'test on a variable sees the override');
  assert.notEqual(o.counts.src.out, d.counts.src.out);
  assert.deepEqual(JSON.parse(sql(db, `SELECT variables FROM sw_runs WHERE id = ${o.run.id}`)),
    { market: 'DE', min_orders: 6, optin: false });

  const runs = () => sqlInt(db, 'SELECT count(*) FROM sw_runs');
  const n0 = runs();
  const undeclared = runDoc(tmp, db, doc, ['--var', 'nope=1']);
  assert.equal(undeclared.res.status, 1);
  assert.match(undeclared.res.stderr, /nope/);
  const notNumber = runDoc(tmp, db, doc, ['--var', 'min_orders=lots']);
  assert.equal(notNumber.res.status, 1);
  assert.match(notNumber.res.stderr, /min_orders/);
  for (const bad of ['novalue', '=3']) {
    const r = runDoc(tmp, db, doc, ['--var', bad]);
    assert.equal(r.res.status, 2, `--var ${bad}: ${r.res.stderr}`);
    assert.ok(r.res.stderr.length > 0);
  }
  const missing = sw(['run', writeDoc(tmp, doc), '--data', db, '--var']);
  assert.equal(missing.status, 2);
  assert.equal(runs(), n0, 'no run was started by a bad --var');
});

test('work tables are dropped at the end of a run unless keep_interim_results', () => {
  const doc = {
    name: 'e2e tables',
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
      { id: 'sp', type: 'split', segments: [{ port: 'a', percent: 50 }], complement: 'b' },
      { id: 'en', type: 'enrich', columns: [{ name: 'n', link: 'orders', aggregate: 'count' }] },
      { id: 'dd', type: 'deduplicate', fields: ['email'] },
      { id: 'e', type: 'end' },
      { id: 'e2', type: 'end' },
    ],
    transitions: [{ from: 'src', to: 'sp' }, { from: 'sp', port: 'a', to: 'en' }, { from: 'sp', port: 'b', to: 'dd' },
      { from: 'en', to: 'e' }, { from: 'dd', port: 'duplicates', to: 'e2' }],
  };
  const dropped = runOk(tmp, db, doc);
  assert.deepEqual(runTables(dropped.run.id), []);
  const kept = runOk(tmp, db, { ...doc, name: 'e2e tables kept', options: { keep_interim_results: true } });
  const tables = runTables(kept.run.id);
  assert.ok(tables.length >= 5, `tables kept: ${tables}`);
  for (const [act, port] of [['src', 'out'], ['sp', 'a'], ['sp', 'b'], ['en', 'out'], ['dd', 'out'], ['dd', 'duplicates']]) {
    const t = taskOutputs(db, kept.run.id, act)[port].table;
    assert.ok(tables.includes(t), `${act}.${port} -> ${t}`);
    assert.equal(sqlInt(db, `SELECT count(*) FROM "${t}"`), kept.counts[act][port]);
  }
});
