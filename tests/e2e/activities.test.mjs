// Activity semantics in detail (SPEC §2.2): which records a split, deduplicate, enrich,
// combine, join, test, change_dimension, save/read audience and export produce, checked
// against independent SQL on the work tables kept with options.keep_interim_results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  makeTmp, genData, runOk, runDoc, sql, sqlInt, sqlRows, sqlList, parseCsv, sorted, portKeys, taskOutputs,
} from './lib/helpers.mjs';

let cleanup, tmp, db;

before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 2000, 3);
});
after(() => cleanup?.());

const BASE = "SELECT id FROM profiles WHERE country IN ('FR', 'DE')";

test('split: limit by order_by (ties by key), percent of a filter by order_by, random percent, complement', () => {
  const doc = {
    name: 'e2e split',
    options: { keep_interim_results: true },
    activities: [
      { id: 'base', type: 'build_audience', filter: { field: 'country', op: 'in', value: ['FR', 'DE'] } },
      { id: 'en', type: 'enrich', columns: [
        { name: 'n_orders', link: 'orders', aggregate: 'count' },
        { name: 'spent', link: 'orders', aggregate: 'sum', field: 'amount' },
        { name: 'avg_amount', link: 'orders', aggregate: 'avg', field: 'amount' },
        { name: 'first_order', link: 'orders', aggregate: 'min', field: 'created_at' },
        { name: 'last_amount_max', link: 'orders', aggregate: 'max', field: 'amount',
          filter: { field: 'status', op: 'eq', value: 'refunded' } },
        { name: 'tier', field: 'loyalty_tier' },
      ] },
      { id: 'sp', type: 'split', segments: [
        { port: 'top', limit: 20, order_by: 'n_orders', direction: 'desc' },
        { port: 'fr10', filter: { field: 'country', op: 'eq', value: 'FR' }, percent: 10,
          order_by: 'created_at', direction: 'asc' },
        { port: 'rnd', percent: 50 },
      ], complement: 'rest' },
      { id: 'stop', type: 'end' },
    ],
    transitions: [
      { from: 'base', to: 'en' }, { from: 'en', to: 'sp' }, { from: 'sp', port: 'rest', to: 'stop' },
    ],
  };
  const out = runOk(tmp, db, doc, ['--seed', '99']);
  const run = out.run.id;
  const n = sqlInt(db, `SELECT count(*) FROM (${BASE})`);
  assert.equal(out.counts.base.out, n);
  assert.equal(out.counts.en.out, n);

  // enrich values, record by record; no orders gives count 0 and sum 0, avg/min/max NULL
  const t = taskOutputs(db, run, 'en').out.table;
  const got = sqlRows(db, `SELECT _key AS id, n_orders, spent, avg_amount, first_order, last_amount_max, tier FROM "${t}" ORDER BY _key`);
  const exp = sqlRows(db, `SELECT p.id,
      (SELECT count(*) FROM orders o WHERE o.profile_id = p.id) AS n_orders,
      (SELECT total(amount) FROM orders o WHERE o.profile_id = p.id) AS spent,
      (SELECT avg(amount) FROM orders o WHERE o.profile_id = p.id) AS avg_amount,
      (SELECT min(created_at) FROM orders o WHERE o.profile_id = p.id) AS first_order,
      (SELECT max(amount) FROM orders o WHERE o.profile_id = p.id AND o.status = 'refunded') AS last_amount_max,
      p.loyalty_tier AS tier
    FROM profiles p WHERE p.id IN (${BASE}) ORDER BY p.id`);
  assert.equal(got.length, exp.length);
  let noOrders = 0;
  for (let k = 0; k < exp.length; k++) {
    const g = got[k];
    const e = exp[k];
    assert.equal(g.id, e.id);
    assert.equal(g.n_orders, e.n_orders, `n_orders of ${e.id}`);
    assert.ok(g.spent !== null && Math.abs(g.spent - e.spent) < 1e-6, `spent of ${e.id}: ${g.spent} vs ${e.spent}`);
    if (e.avg_amount === null) assert.equal(g.avg_amount, null, `avg of ${e.id}`);
    else assert.ok(Math.abs(g.avg_amount - e.avg_amount) < 1e-6, `avg of ${e.id}`);
    assert.equal(g.first_order, e.first_order, `min(created_at) of ${e.id}`);
    assert.equal(g.last_amount_max, e.last_amount_max, `max over refunded of ${e.id}`);
    assert.equal(g.tier, e.tier);
    if (e.n_orders === 0) {
      noOrders++;
      assert.equal(g.spent, 0, 'sum over no rows is 0');
    }
  }
  assert.ok(noOrders > 0, 'some profiles have no orders');

  // top: the 20 with most orders, ties broken by ascending key
  const top = sqlList(db, `SELECT p.id FROM profiles p WHERE p.id IN (${BASE})
    ORDER BY (SELECT count(*) FROM orders o WHERE o.profile_id = p.id) DESC, p.id ASC LIMIT 20`).map(Number);
  assert.deepEqual(portKeys(db, run, 'sp', 'top'), sorted(top));
  // fr10: floor(10% of the FR records left), the oldest profiles (ties by key)
  const frLeft = sqlList(db, `SELECT id FROM profiles WHERE country = 'FR' AND id NOT IN (${top.join(',')})
    ORDER BY created_at ASC, id ASC`).map(Number);
  const k10 = Math.floor((frLeft.length * 10) / 100);
  assert.equal(out.counts.sp.fr10, k10);
  assert.deepEqual(portKeys(db, run, 'sp', 'fr10'), sorted(frLeft.slice(0, k10)));
  // rnd: floor(50% of what is left), random; rest: the others
  const left = n - 20 - k10;
  assert.equal(out.counts.sp.rnd, Math.floor(left / 2));
  assert.equal(out.counts.sp.rest, left - Math.floor(left / 2));
  const all = [...portKeys(db, run, 'sp', 'top'), ...portKeys(db, run, 'sp', 'fr10'),
    ...portKeys(db, run, 'sp', 'rnd'), ...portKeys(db, run, 'sp', 'rest')];
  assert.equal(new Set(all).size, n, 'segments are disjoint');
  assert.deepEqual(sorted(all), sqlList(db, `${BASE} ORDER BY id`).map(Number), 'and cover the input');
});

test('split with overlap: every segment sees the whole input', () => {
  const doc = {
    name: 'e2e overlap',
    activities: [
      { id: 'all', type: 'build_audience' },
      { id: 'sp', type: 'split', overlap: true, segments: [
        { port: 'fr', filter: { field: 'country', op: 'eq', value: 'FR' } },
        { port: 'optin', filter: { field: 'email_opt_in', op: 'eq', value: true } },
      ], complement: 'neither' },
    ],
    transitions: [{ from: 'all', to: 'sp' }],
  };
  const out = runOk(tmp, db, doc);
  assert.equal(out.counts.sp.fr, sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR'"));
  assert.equal(out.counts.sp.optin, sqlInt(db, 'SELECT count(*) FROM profiles WHERE email_opt_in = 1'));
  assert.equal(out.counts.sp.neither,
    sqlInt(db, "SELECT count(*) FROM profiles WHERE country <> 'FR' AND email_opt_in = 0"));
});

test('deduplicate: preferred_values, non_empty (NULL keys kept), count 2 per group', () => {
  const doc = {
    name: 'e2e dedup',
    options: { keep_interim_results: true },
    activities: [
      { id: 'all', type: 'build_audience' },
      { id: 'pref', type: 'deduplicate', fields: ['household_id'],
        keep: { count: 1, method: 'preferred_values', field: 'loyalty_tier', values: ['platinum', 'gold'] } },
      { id: 'nonempty', type: 'deduplicate', fields: ['household_id'],
        keep: { count: 1, method: 'non_empty', field: 'push_token' } },
      { id: 'two', type: 'deduplicate', fields: ['country', 'loyalty_tier'],
        keep: { count: 2, method: 'order_by', order_by: 'birth_date', direction: 'asc' } },
    ],
    transitions: [
      { from: 'all', to: 'pref' }, { from: 'all', to: 'nonempty' }, { from: 'all', to: 'two' },
    ],
  };
  const out = runOk(tmp, db, doc);
  const run = out.run.id;
  const total = sqlInt(db, 'SELECT count(*) FROM profiles');
  const nullHh = sqlList(db, 'SELECT id FROM profiles WHERE household_id IS NULL').map(Number);
  assert.ok(nullHh.length > 1);

  const pref = sqlList(db, `SELECT a.id FROM profiles a WHERE a.household_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM profiles b WHERE b.household_id = a.household_id AND (
        (CASE b.loyalty_tier WHEN 'platinum' THEN 0 WHEN 'gold' THEN 1 ELSE 2 END) <
        (CASE a.loyalty_tier WHEN 'platinum' THEN 0 WHEN 'gold' THEN 1 ELSE 2 END)
        OR ((CASE b.loyalty_tier WHEN 'platinum' THEN 0 WHEN 'gold' THEN 1 ELSE 2 END) =
            (CASE a.loyalty_tier WHEN 'platinum' THEN 0 WHEN 'gold' THEN 1 ELSE 2 END) AND b.id < a.id)))
    ORDER BY a.id`).map(Number);
  assert.deepEqual(portKeys(db, run, 'pref', 'out'), pref);
  assert.equal(out.counts.pref.duplicates, total - pref.length);

  const hasTok = (x) => `(${x}.push_token IS NOT NULL AND ${x}.push_token <> '')`;
  const nonempty = sqlList(db, `SELECT a.id FROM profiles a WHERE a.household_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM profiles b WHERE b.household_id = a.household_id AND (
        (${hasTok('b')} AND NOT ${hasTok('a')}) OR (${hasTok('b')} = ${hasTok('a')} AND b.id < a.id)))
    ORDER BY a.id`).map(Number);
  assert.deepEqual(portKeys(db, run, 'nonempty', 'out'), nonempty);
  for (const k of nullHh) assert.ok(nonempty.includes(k));

  const two = sqlInt(db, `SELECT sum(min(c, 2)) FROM (SELECT count(*) AS c FROM profiles GROUP BY country, loyalty_tier)`);
  assert.equal(out.counts.two.out, two);
  assert.equal(out.counts.two.duplicates, total - two);
  // the kept ones are the two oldest (birth_date asc, then key) of each group
  const twoKeys = sqlList(db, `SELECT a.id FROM profiles a WHERE (SELECT count(*) FROM profiles b
      WHERE b.country = a.country AND b.loyalty_tier IS a.loyalty_tier
        AND (b.birth_date < a.birth_date OR (b.birth_date = a.birth_date AND b.id < a.id))) < 2 ORDER BY a.id`).map(Number);
  assert.deepEqual(portKeys(db, run, 'two', 'out'), twoKeys);
});

test('join or / and, test on count and on variable, skipped branches, 3-way intersection', () => {
  const doc = {
    name: 'e2e flow',
    variables: { market: 'FR' },
    activities: [
      { id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
      { id: 'de', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'DE' } },
      { id: 'huge', type: 'test', conditions: [{ port: 'yes', count: { gt: 1000000 } }] },
      { id: 'jor', type: 'join', mode: 'or' },
      { id: 'jand', type: 'join', mode: 'and' },
      { id: 'byvar', type: 'test', conditions: [{ port: 'is_fr', variable: 'market', op: 'eq', value: 'FR' }] },
      { id: 'small', type: 'test', conditions: [{ port: 'few', count: { lt: 10 } }] },
      { id: 'e1', type: 'end' }, { id: 'e2', type: 'end' }, { id: 'e3', type: 'end' },
      { id: 'optin', type: 'build_audience', filter: { field: 'email_opt_in', op: 'eq', value: true } },
      { id: 'sms', type: 'build_audience', filter: { field: 'sms_opt_in', op: 'eq', value: true } },
      { id: 'push', type: 'build_audience', filter: { field: 'push_opt_in', op: 'eq', value: true } },
      { id: 'all3', type: 'combine', operation: 'intersection', complement: 'some' },
    ],
    transitions: [
      { from: 'fr', to: 'huge' },
      { from: 'huge', port: 'yes', to: 'jor' }, { from: 'de', to: 'jor' },
      { from: 'huge', port: 'yes', to: 'jand' }, { from: 'de', to: 'jand' },
      { from: 'fr', to: 'byvar' }, { from: 'byvar', port: 'is_fr', to: 'e1' }, { from: 'byvar', port: 'default', to: 'e2' },
      { from: 'de', to: 'small' }, { from: 'small', port: 'default', to: 'e3' },
      { from: 'optin', to: 'all3' }, { from: 'sms', to: 'all3' }, { from: 'push', to: 'all3' },
    ],
  };
  const out = runOk(tmp, db, doc);
  const fr = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
  const de = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'DE'");
  // no condition holds: the population goes to "default" (not connected: the branch ends)
  assert.deepEqual(out.counts.huge, { yes: 0, default: fr });
  assert.deepEqual(out.counts.jor, { out: de });
  assert.equal(out.counts.jand, undefined, 'join and with an input that never came is not run');
  const status = Object.fromEntries(out.tasks.map((t) => [t.activity, t.status]));
  assert.equal(status.jand, 'skipped');
  assert.equal(status.jor, 'completed');
  assert.deepEqual(out.counts.byvar, { is_fr: fr, default: 0 });
  assert.equal(status.e1, 'completed');
  assert.equal(status.e2, 'skipped');
  assert.deepEqual(out.counts.small, { few: 0, default: de });
  assert.equal(status.e3, 'completed');
  assert.match(sql(db, `SELECT group_concat(message, ' / ') FROM sw_logs WHERE run_id = ${out.run.id} AND activity = 'huge'`),
    /no condition matched/);
  const all3 = sqlInt(db, 'SELECT count(*) FROM profiles WHERE email_opt_in = 1 AND sms_opt_in = 1 AND push_opt_in = 1');
  const any3 = sqlInt(db, 'SELECT count(*) FROM profiles WHERE email_opt_in = 1 OR sms_opt_in = 1 OR push_opt_in = 1');
  assert.deepEqual(out.counts.all3, { out: all3, some: any3 - all3 });
});

test('change_dimension orders -> profiles -> orders', () => {
  const doc = {
    name: 'e2e dims',
    targeting_dimension: 'orders',
    activities: [
      { id: 'big', type: 'build_audience', filter: { all: [
        { field: 'amount', op: 'gt', value: 300 }, { field: 'channel', op: 'eq', value: 'app' }] } },
      { id: 'who', type: 'change_dimension', to: 'profiles', via: 'profiles' },
      { id: 'fr', type: 'split', segments: [{ port: 'fr', filter: { field: 'country', op: 'eq', value: 'FR' } }] },
      { id: 'their', type: 'change_dimension', to: 'orders', via: 'orders' },
    ],
    transitions: [{ from: 'big', to: 'who' }, { from: 'who', to: 'fr' }, { from: 'fr', port: 'fr', to: 'their' }],
  };
  const out = runOk(tmp, db, doc);
  const W = "SELECT profile_id FROM orders WHERE amount > 300 AND channel = 'app'";
  assert.equal(out.counts.big.out, sqlInt(db, `SELECT count(*) FROM orders WHERE amount > 300 AND channel = 'app'`));
  assert.equal(out.counts.who.out, sqlInt(db, `SELECT count(DISTINCT profile_id) FROM (${W})`));
  assert.equal(out.counts.fr.fr, sqlInt(db, `SELECT count(*) FROM profiles WHERE country = 'FR' AND id IN (${W})`));
  assert.equal(out.counts.their.out, sqlInt(db,
    `SELECT count(*) FROM orders WHERE profile_id IN (SELECT id FROM profiles WHERE country = 'FR' AND id IN (${W}))`));
});

test('save_audience replace/append, in_audience filter, read_audience', () => {
  const save = (mode, country) => runOk(tmp, db, {
    name: `e2e save ${mode} ${country}`,
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: country } },
      { id: 'save', type: 'save_audience', audience: 'e2e_fr_de', mode },
    ],
    transitions: [{ from: 'src', to: 'save' }],
  });
  save('replace', 'FR');
  save('append', 'DE');
  const both = sqlInt(db, "SELECT count(*) FROM profiles WHERE country IN ('FR', 'DE')");
  assert.equal(sqlInt(db, "SELECT count FROM sw_audiences WHERE name = 'e2e_fr_de'"), both);
  const out = runOk(tmp, db, {
    name: 'e2e in_audience',
    activities: [
      { id: 'ra', type: 'read_audience', audience: 'e2e_fr_de', filter: { field: 'email_opt_in', op: 'eq', value: true } },
      { id: 'ina', type: 'build_audience', filter: { all: [
        { in_audience: 'e2e_fr_de' }, { field: 'loyalty_tier', op: 'eq', value: 'gold' }] } },
      { id: 'notin', type: 'build_audience', filter: { not: { in_audience: 'e2e_fr_de' } } },
    ],
    transitions: [],
  });
  assert.equal(out.counts.ra.out, sqlInt(db, "SELECT count(*) FROM profiles WHERE country IN ('FR','DE') AND email_opt_in = 1"));
  assert.equal(out.counts.ina.out, sqlInt(db, "SELECT count(*) FROM profiles WHERE country IN ('FR','DE') AND loyalty_tier = 'gold'"));
  assert.equal(out.counts.notin.out, sqlInt(db, "SELECT count(*) FROM profiles WHERE country NOT IN ('FR','DE')"));
  save('replace', 'IT');
  assert.equal(sqlInt(db, "SELECT count FROM sw_audiences WHERE name = 'e2e_fr_de'"),
    sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'IT'"), 'replace drops the previous content');
});

test('export without columns writes the key and every enrichment column', () => {
  const dir = path.join(tmp, 'exp2');
  const out = runOk(tmp, db, {
    name: 'e2e export all',
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'NL' } },
      { id: 'en', type: 'enrich', columns: [{ name: 'n', link: 'orders', aggregate: 'count' }] },
      { id: 'x', type: 'export', path: 'nl.csv' },
    ],
    transitions: [{ from: 'src', to: 'en' }, { from: 'en', to: 'x' }],
  }, ['--export-dir', dir]);
  const rows = parseCsv(readFileSync(path.join(dir, 'nl.csv'), 'utf8'));
  assert.deepEqual(rows[0], ['id', 'n']);
  const exp = sqlRows(db, `SELECT p.id, (SELECT count(*) FROM orders o WHERE o.profile_id = p.id) AS n
    FROM profiles p WHERE country = 'NL' ORDER BY p.id`);
  assert.equal(out.counts.x.out, exp.length);
  assert.deepEqual(rows.slice(1), exp.map((e) => [String(e.id), String(e.n)]));
});

test('enrich: N-1 linked field and a date aggregate usable in later filters; skip_empty; join and primary', () => {
  const C90 = new Date(Date.parse('2026-06-15T12:00:00Z') - 90 * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // keep the data from straddling the cutoff (the engine's clock ticks on)
  sql(db, `UPDATE orders SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', '${C90}', '-20 minutes')
           WHERE created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', '${C90}', '-2 seconds')
             AND created_at < strftime('%Y-%m-%dT%H:%M:%SZ', '${C90}', '+20 minutes')`);
  const doc = {
    name: 'e2e enrich more',
    activities: [
      { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'in', value: ['FR', 'GB'] } },
      { id: 'en', type: 'enrich', columns: [
        { name: 'hh_size', link: 'households', field: 'size' },
        { name: 'last_order', link: 'orders', aggregate: 'max', field: 'created_at' },
      ] },
      { id: 'sp', type: 'split', skip_empty: true, segments: [
        { port: 'recent', filter: { field: 'last_order', op: 'within_last', value: '90d' } },
        { port: 'big_hh', filter: { field: 'hh_size', op: 'ge', value: 4 } },
        { port: 'nobody', filter: { field: 'hh_size', op: 'gt', value: 1000 } },
      ], complement: 'rest' },
      { id: 'after_nobody', type: 'end' },
      { id: 'dd', type: 'deduplicate', fields: ['hh_size'], keep: { method: 'order_by', order_by: 'last_order', direction: 'desc' } },
      { id: 'j', type: 'join', mode: 'and', primary: 'big_hh_fork' },
      { id: 'big_hh_fork', type: 'fork' },
      { id: 'hh', type: 'change_dimension', to: 'households', via: 'households' },
    ],
    transitions: [
      { from: 'src', to: 'en' }, { from: 'en', to: 'sp' },
      { from: 'sp', port: 'nobody', to: 'after_nobody' },
      { from: 'sp', port: 'rest', to: 'dd' },
      { from: 'sp', port: 'big_hh', to: 'big_hh_fork' },
      { from: 'sp', port: 'recent', to: 'j' }, { from: 'big_hh_fork', to: 'j' },
      { from: 'sp', port: 'recent', to: 'hh' },
    ],
  };
  const out = runOk(tmp, db, doc);
  const P = "SELECT p.id, h.size AS hh, (SELECT max(created_at) FROM orders o WHERE o.profile_id = p.id) AS last " +
    "FROM profiles p LEFT JOIN households h ON h.id = p.household_id WHERE p.country IN ('FR', 'GB')";
  const recent = sqlInt(db, `SELECT count(*) FROM (${P}) WHERE last >= '${C90}'`);
  const bigHh = sqlInt(db, `SELECT count(*) FROM (${P}) WHERE NOT (last IS NOT NULL AND last >= '${C90}') AND hh >= 4`);
  const n = sqlInt(db, `SELECT count(*) FROM (${P})`);
  assert.deepEqual(out.counts.sp, { recent, big_hh: bigHh, nobody: 0, rest: n - recent - bigHh });
  const status = Object.fromEntries(out.tasks.map((t) => [t.activity, t.status]));
  assert.equal(status.after_nobody, 'skipped', 'skip_empty: no transition for an empty segment');
  // rest, deduplicated on household size: one per size, NULL sizes all kept
  const rest = `SELECT * FROM (${P}) WHERE NOT (last IS NOT NULL AND last >= '${C90}') AND NOT (hh IS NOT NULL AND hh >= 4)`;
  assert.equal(out.counts.dd.out, sqlInt(db,
    `SELECT (SELECT count(DISTINCT hh) FROM (${rest})) + (SELECT count(*) FROM (${rest}) WHERE hh IS NULL)`));
  assert.deepEqual(out.counts.j, { out: bigHh }, 'join and: the primary input population');
  assert.deepEqual(out.counts.hh, { out: sqlInt(db,
    `SELECT count(DISTINCT p.household_id) FROM profiles p WHERE p.household_id IS NOT NULL AND p.id IN (SELECT id FROM (${P}) WHERE last >= '${C90}')`) });
});

test('a run fails cleanly: missing audience, export without export_dir', () => {
  const r1 = runDoc(tmp, db, { name: 'e2e no audience',
    activities: [{ id: 'ra', type: 'read_audience', audience: 'never_saved' }], transitions: [] });
  assert.equal(r1.res.status, 1);
  assert.equal(r1.res.signal, null);
  assert.match(r1.res.stderr, /never_saved/);
  assert.equal(r1.out.run.status, 'failed');
  const r2 = runDoc(tmp, db, { name: 'e2e no export dir',
    activities: [{ id: 'src', type: 'build_audience' }, { id: 'x', type: 'export', path: 'x.csv' }],
    transitions: [{ from: 'src', to: 'x' }] });
  assert.equal(r2.res.status, 1);
  assert.match(r2.res.stderr, /export_dir|export-dir/);
});

test('combine union keeps the first input row and the common enrichment columns', () => {
  const out = runOk(tmp, db, {
    name: 'e2e union rows',
    options: { keep_interim_results: true },
    activities: [
      { id: 'a', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
      { id: 'b', type: 'build_audience', filter: { field: 'email_opt_in', op: 'eq', value: true } },
      { id: 'ea', type: 'enrich', columns: [{ name: 'v', field: 'country' }, { name: 'only_a', link: 'orders', aggregate: 'count' }] },
      { id: 'eb', type: 'enrich', columns: [{ name: 'v', field: 'city' }] },
      { id: 'u', type: 'combine', operation: 'union' },
    ],
    transitions: [{ from: 'a', to: 'ea' }, { from: 'b', to: 'eb' }, { from: 'ea', to: 'u' }, { from: 'eb', to: 'u' }],
  });
  assert.equal(out.counts.u.out, sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR' OR email_opt_in = 1"));
  const t = taskOutputs(db, out.run.id, 'u').out.table;
  const cols = sqlList(db, `SELECT name FROM pragma_table_info('${t}') ORDER BY cid`);
  assert.deepEqual(cols, ['_key', 'v']);
  assert.equal(sqlInt(db, `SELECT count(*) FROM "${t}" w JOIN profiles p ON p.id = w._key
    WHERE w.v IS NOT (CASE WHEN p.country = 'FR' THEN 'FR' ELSE p.city END)`), 0);
});
