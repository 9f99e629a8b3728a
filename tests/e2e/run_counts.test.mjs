// One campaign that exercises most activity types, run once: every port count the engine
// reports is compared with a count computed by independent SQL (sqlite3 CLI), with the
// same STEPWISE_NOW cutoffs. Then a second campaign reads the audience the first saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  makeTmp, genData, runOk, sql, sqlInt, sqlRows, sqlList, ago, lit, clearMargin, DAY,
  parseCsv, sorted, portKeys, workTables,
} from './lib/helpers.mjs';

let tmp, cleanup, db, out, runMs, exportDir;
const C365 = ago(365 * DAY);
const C90 = ago(90 * DAY);
const FANCY = 'Anne, "Annie" Marie';

const campaign = {
  name: 'e2e big campaign',
  targeting_dimension: 'profiles',
  options: { keep_interim_results: true },
  activities: [
    { id: 'buyers', type: 'build_audience', filter: { all: [
      { field: 'country', op: 'in', value: ['FR', 'DE', 'BE', 'NL'] },
      { field: 'email_opt_in', op: 'eq', value: true },
      { link: 'orders', exists: { all: [
        { field: 'created_at', op: 'within_last', value: '365d' },
        { field: 'status', op: 'eq', value: 'completed' },
      ] } },
      { not: { link: 'orders', exists: { field: 'created_at', op: 'within_last', value: '90d' } } },
    ] } },
    { id: 'young', type: 'build_audience', filter: { all: [
      { field: 'birth_date', op: 'between', value: ['1985-01-01', '2000-12-31'] },
      { any: [
        { field: 'email', op: 'starts_with', value: 'ma' },
        { field: 'loyalty_tier', op: 'eq', value: 'gold' },
      ] },
    ] } },
    { id: 'big', type: 'build_audience', filter: { all: [
      { link: 'orders', aggregate: 'sum', field: 'amount',
        filter: { field: 'status', op: 'eq', value: 'completed' }, op: 'gt', value: 500 },
      { link: 'orders', aggregate: 'count', op: 'ge', value: 3 },
    ] } },
    { id: 'u', type: 'combine', operation: 'union' },
    { id: 'i', type: 'combine', operation: 'intersection', complement: 'i_rest' },
    { id: 'x', type: 'combine', operation: 'exclusion', primary: 'young', complement: 'x_removed' },
    { id: 'dedup', type: 'deduplicate', fields: ['email'],
      keep: { count: 1, method: 'order_by', order_by: 'created_at', direction: 'desc' } },
    { id: 'dup_end', type: 'end' },
    { id: 'value', type: 'enrich', columns: [
      { name: 'spent_1y', link: 'orders', aggregate: 'sum', field: 'amount',
        filter: { field: 'created_at', op: 'within_last', value: '365d' } },
      { name: 'n_orders', link: 'orders', aggregate: 'count' },
    ] },
    { id: 'tiers', type: 'split', segments: [
      { port: 'vip', filter: { field: 'spent_1y', op: 'ge', value: 300 } },
      { port: 'sample', percent: 10 },
      { port: 'top', limit: 25, order_by: 'n_orders', direction: 'desc' },
    ], complement: 'others' },
    { id: 'check', type: 'test', conditions: [
      { port: 'many', count: { gt: 100000 } },
      { port: 'some', count: { gt: 0 } },
    ] },
    { id: 'fan', type: 'fork', ports: ['a', 'b'] },
    { id: 'csv', type: 'export', path: 'out/vip.csv', format: 'csv',
      columns: ['email', 'first_name', 'spent_1y'] },
    { id: 'warn', type: 'alert', title: 'VIPs', message: 'exported' },
    { id: 'both', type: 'join', mode: 'and', primary: 'csv' },
    { id: 'pause', type: 'wait', duration: '1s' },
    { id: 'done', type: 'end' },
    { id: 'to_orders', type: 'change_dimension', to: 'orders', via: 'orders' },
    { id: 'back', type: 'change_dimension', to: 'profiles', via: 'profiles' },
    { id: 'save', type: 'save_audience', audience: 'e2e_sampled', mode: 'replace' },
  ],
  transitions: [
    { from: 'buyers', to: 'u' }, { from: 'young', to: 'u' },
    { from: 'buyers', to: 'i' }, { from: 'big', to: 'i' },
    { from: 'young', to: 'x' }, { from: 'big', to: 'x' },
    { from: 'u', to: 'dedup' },
    { from: 'dedup', port: 'duplicates', to: 'dup_end' },
    { from: 'dedup', to: 'value' },
    { from: 'value', to: 'tiers' },
    { from: 'tiers', port: 'vip', to: 'check' },
    { from: 'check', port: 'some', to: 'fan' },
    { from: 'fan', port: 'a', to: 'csv' },
    { from: 'fan', port: 'b', to: 'warn' },
    { from: 'csv', to: 'both' }, { from: 'warn', to: 'both' },
    { from: 'both', to: 'pause' },
    { from: 'pause', to: 'done' },
    { from: 'x', to: 'to_orders' },
    { from: 'to_orders', to: 'back' },
    { from: 'tiers', port: 'sample', to: 'save' },
  ],
};

// Independent SQL: the populations as CTEs.
const CTE = () => `
WITH
buyers AS (SELECT p.id FROM profiles p
  WHERE p.country IN ('FR','DE','BE','NL') AND p.email_opt_in = 1
    AND p.id IN (SELECT o.profile_id FROM orders o WHERE o.created_at >= ${lit(C365)} AND o.status = 'completed')
    AND p.id NOT IN (SELECT o.profile_id FROM orders o WHERE o.created_at >= ${lit(C90)})),
young AS (SELECT id FROM profiles
  WHERE birth_date >= '1985-01-01' AND birth_date <= '2000-12-31'
    AND (lower(substr(email, 1, 2)) = 'ma' OR loyalty_tier = 'gold')),
big AS (SELECT p.id FROM profiles p
  WHERE (SELECT total(o.amount) FROM orders o WHERE o.profile_id = p.id AND o.status = 'completed') > 500
    AND (SELECT count(*) FROM orders o WHERE o.profile_id = p.id) >= 3),
u AS (SELECT id FROM buyers UNION SELECT id FROM young),
i AS (SELECT id FROM buyers INTERSECT SELECT id FROM big),
i_rest AS (SELECT id FROM (SELECT id FROM buyers UNION SELECT id FROM big) EXCEPT SELECT id FROM i),
x AS (SELECT id FROM young EXCEPT SELECT id FROM big),
x_removed AS (SELECT id FROM young INTERSECT SELECT id FROM big),
up AS (SELECT id, email, created_at FROM profiles WHERE id IN (SELECT id FROM u)),
dd AS (SELECT a.id FROM up a WHERE a.email IS NULL OR NOT EXISTS (
  SELECT 1 FROM up b WHERE b.email = a.email
    AND (b.created_at > a.created_at OR (b.created_at = a.created_at AND b.id < a.id)))),
en AS (SELECT d.id,
  (SELECT total(o.amount) FROM orders o WHERE o.profile_id = d.id AND o.created_at >= ${lit(C365)}) AS spent,
  (SELECT count(*) FROM orders o WHERE o.profile_id = d.id) AS n
  FROM dd d),
vip AS (SELECT id FROM en WHERE spent >= 300),
x_orders AS (SELECT o.id FROM orders o WHERE o.profile_id IN (SELECT id FROM x)),
x_back AS (SELECT DISTINCT o.profile_id AS id FROM orders o WHERE o.id IN (SELECT id FROM x_orders))
`;
const count = (name) => sqlInt(db, `${CTE()} SELECT count(*) FROM ${name};`);

before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 3000, 11);
  clearMargin(db, 'orders', 'created_at', C365);
  clearMargin(db, 'orders', 'created_at', C90);
  // Names that need CSV quoting: a comma and quotes, and an embedded newline.
  sql(db, `UPDATE profiles SET first_name = ${lit(FANCY)} WHERE id % 5 = 0;
           UPDATE profiles SET first_name = 'two' || char(10) || 'lines' WHERE id % 7 = 0;`);
  exportDir = path.join(tmp, 'exports');
  const t0 = Date.now();
  out = runOk(tmp, db, campaign, ['--export-dir', exportDir, '--seed', '12345']);
  runMs = Date.now() - t0;
});

after(() => cleanup?.());

test('the data makes the campaign meaningful (non-trivial populations)', () => {
  for (const n of ['buyers', 'young', 'big', 'i', 'x', 'x_removed', 'vip']) {
    assert.ok(count(n) > 0, `${n} is empty: the test data does not exercise it`);
  }
  assert.ok(sqlInt(db, `${CTE()} SELECT count(*) FROM up WHERE email IS NULL;`) >= 2,
    'at least two NULL emails in the union, to check that they are all kept');
  assert.ok(count('u') > count('dd'), 'the union has duplicate emails');
});

test('build_audience: field ops, booleans, link exists/within_last, NOT exists, aggregates', () => {
  assert.equal(out.counts.buyers.out, count('buyers'));
  assert.equal(out.counts.young.out, count('young'));
  assert.equal(out.counts.big.out, count('big'));
});

test('combine: union, intersection + complement, exclusion + complement', () => {
  assert.equal(out.counts.u.out, count('u'));
  assert.equal(out.counts.i.out, count('i'));
  assert.equal(out.counts.i.i_rest, count('i_rest'));
  assert.equal(out.counts.x.out, count('x'));
  assert.equal(out.counts.x.x_removed, count('x_removed'));
  assert.deepEqual(Object.keys(out.counts.u).sort(), ['out']);
});

test('deduplicate: order_by created_at desc, duplicates port, NULL emails all kept', () => {
  assert.equal(out.counts.dedup.out, count('dd'));
  assert.equal(out.counts.dedup.duplicates, count('u') - count('dd'));
  const runId = out.run.id;
  const kept = new Set(portKeys(db, runId, 'dedup', 'out'));
  const expected = sqlList(db, `${CTE()} SELECT id FROM dd ORDER BY id;`).map(Number);
  assert.deepEqual(sorted([...kept]), expected, 'exactly the most recent profile per email is kept');
  const nullKeys = sqlList(db, `${CTE()} SELECT id FROM up WHERE email IS NULL;`).map(Number);
  for (const k of nullKeys) assert.ok(kept.has(k), `profile ${k} (NULL email) was dropped`);
  const dups = portKeys(db, runId, 'dedup', 'duplicates');
  assert.equal(dups.length, out.counts.dedup.duplicates);
  for (const k of dups) assert.ok(!kept.has(k));
});

test('enrich keeps the count; split: first match, floor(percent), limit, complement', () => {
  const n = count('dd');
  assert.equal(out.counts.value.out, n);
  const vip = count('vip');
  const rest = n - vip;
  const sample = Math.floor((rest * 10) / 100);
  const top = Math.min(25, rest - sample);
  assert.equal(out.counts.tiers.vip, vip);
  assert.equal(out.counts.tiers.sample, sample);
  assert.equal(out.counts.tiers.top, top);
  assert.equal(out.counts.tiers.others, rest - sample - top);
});

test('test, fork, export, alert, join and, wait, end: every port', () => {
  const vip = count('vip');
  assert.deepEqual(out.counts.check, { many: 0, some: vip, default: 0 });
  assert.deepEqual(out.counts.fan, { out: vip, a: vip, b: vip });
  assert.deepEqual(out.counts.csv, { out: vip });
  assert.deepEqual(out.counts.warn, { out: vip });
  assert.deepEqual(out.counts.both, { out: vip });
  assert.deepEqual(out.counts.pause, { out: vip });
  assert.deepEqual(out.counts.done, {});
  assert.deepEqual(out.counts.dup_end, {});
  const warnLog = sql(db, `SELECT message FROM sw_logs WHERE run_id = ${out.run.id} AND activity = 'warn'`);
  assert.match(warnLog, /VIPs/);
});

test('change_dimension profiles -> orders -> profiles', () => {
  assert.equal(out.counts.to_orders.out, count('x_orders'));
  assert.equal(out.counts.back.out, count('x_back'));
  assert.ok(count('x_back') < count('x'), 'some young profiles have no order (they do not come back)');
});

test('every task completed and every declared port reported', () => {
  assert.equal(out.tasks.length, campaign.activities.length);
  for (const t of out.tasks) assert.equal(t.status, 'completed', `${t.activity}: ${t.error}`);
  for (const a of campaign.activities) assert.ok(out.counts[a.id], `no counts for ${a.id}`);
  assert.equal(sql(db, `SELECT status FROM sw_runs WHERE id = ${out.run.id}`), 'completed');
  assert.equal(sqlInt(db, `SELECT seed FROM sw_runs WHERE id = ${out.run.id}`), 12345);
});

test('wait "1s" holds the run for at least one second', () => {
  assert.ok(runMs >= 1000, `the run took ${runMs} ms`);
  const [r] = sqlRows(db, `SELECT started_at, ended_at FROM sw_runs WHERE id = ${out.run.id}`);
  assert.ok(r.ended_at - r.started_at >= 1000, `run lasted ${r.ended_at - r.started_at} ms in the catalog`);
  const [t] = sqlRows(db, `SELECT started_at, ended_at FROM sw_tasks WHERE run_id = ${out.run.id} AND activity = 'pause'`);
  assert.ok(t.ended_at - t.started_at >= 1000, `wait task lasted ${t.ended_at - t.started_at} ms`);
});

test('export: CSV header, one row per record, RFC 4180 quoting', () => {
  const file = path.join(exportDir, 'out', 'vip.csv');
  assert.ok(existsSync(file), 'export file written');
  const text = readFileSync(file, 'utf8');
  const rows = parseCsv(text);
  assert.deepEqual(rows[0], ['id', 'email', 'first_name', 'spent_1y']);
  const data = rows.slice(1);
  assert.equal(data.length, count('vip'));
  const expected = sqlRows(db, `${CTE()} SELECT p.id, p.email, p.first_name, en.spent
    FROM profiles p JOIN en ON en.id = p.id WHERE p.id IN (SELECT id FROM vip) ORDER BY p.id;`);
  assert.equal(data.length, expected.length);
  for (let k = 0; k < data.length; k++) {
    const [id, email, first, spent] = data[k];
    const e = expected[k];
    assert.equal(Number(id), e.id);
    assert.equal(email, e.email ?? '');
    assert.equal(first, e.first_name ?? '');
    assert.ok(Math.abs(Number(spent) - e.spent) < 1e-6, `spent_1y of ${id}: ${spent} vs ${e.spent}`);
  }
  if (expected.some((e) => e.first_name === FANCY)) {
    assert.ok(text.includes('"Anne, ""Annie"" Marie"'), 'a comma and quotes are quoted by doubling');
  }
  if (expected.some((e) => e.first_name === 'two\nlines')) {
    assert.ok(text.includes('"two\nlines"'), 'an embedded newline is quoted');
  }
  assert.ok(expected.some((e) => e.first_name === FANCY || e.first_name === 'two\nlines'),
    'the test data puts a name that needs quoting among the exported rows');
});

test('save_audience then read_audience in a second run', () => {
  const sample = out.counts.tiers.sample;
  assert.equal(out.counts.save.out, sample);
  const [aud] = sqlRows(db, "SELECT table_name, count, dimension FROM sw_audiences WHERE name = 'e2e_sampled'");
  assert.ok(aud, 'audience recorded in sw_audiences');
  assert.equal(aud.count, sample);
  assert.equal(aud.dimension, 'profiles');
  assert.equal(sqlInt(db, `SELECT count(*) FROM "${aud.table_name}"`), sample);
  // The saved keys are exactly the sampled segment's keys, disjoint from the VIPs.
  const sampled = portKeys(db, out.run.id, 'tiers', 'sample');
  assert.deepEqual(sqlList(db, `SELECT _key FROM "${aud.table_name}" ORDER BY _key`).map(Number), sampled);
  const vipKeys = new Set(sqlList(db, `${CTE()} SELECT id FROM vip;`).map(Number));
  for (const k of sampled) assert.ok(!vipKeys.has(k), `sampled key ${k} is a VIP: first match broken`);

  const reader = {
    name: 'e2e reader',
    activities: [
      { id: 'all', type: 'read_audience', audience: 'e2e_sampled' },
      { id: 'fr', type: 'read_audience', audience: 'e2e_sampled',
        filter: { field: 'country', op: 'eq', value: 'FR' } },
    ],
    transitions: [],
  };
  const r2 = runOk(tmp, db, reader);
  assert.equal(r2.counts.all.out, sample);
  assert.equal(r2.counts.fr.out, sqlInt(db,
    `SELECT count(*) FROM profiles WHERE country = 'FR' AND id IN (SELECT _key FROM "${aud.table_name}")`));
  assert.deepEqual(workTables(db).filter((t) => t.startsWith(`wt_${r2.run.id}_`)), [],
    'the second run (no keep_interim_results) dropped its work tables');
});
