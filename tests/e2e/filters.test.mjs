// Filter operators (SPEC §2.1), one build_audience per case in a single run: each count is
// compared with SQL written independently, with the same STEPWISE_NOW cutoffs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  makeTmp, genData, runOk, sqlInt, ago, lit, clearMargin, DAY, HOUR,
} from './lib/helpers.mjs';

let cleanup, tmp, db, out;

const C2W = ago(14 * DAY);
const C12H = ago(12 * HOUR);
const C30D = ago(30 * DAY);

// [id, dimension, filter, independent SQL (a WHERE clause on the dimension, alias p)]
const cases = [
  ['eq_text', 'profiles', { field: 'country', op: 'eq', value: 'DE' }, "p.country = 'DE'"],
  ['ne_text', 'profiles', { field: 'loyalty_tier', op: 'ne', value: 'gold' },
    "p.loyalty_tier IS NOT NULL AND p.loyalty_tier <> 'gold'"],
  ['not_eq_nulls', 'profiles', { not: { field: 'loyalty_tier', op: 'eq', value: 'gold' } },
    "p.loyalty_tier IS NULL OR p.loyalty_tier <> 'gold'"],
  ['in', 'profiles', { field: 'country', op: 'in', value: ['FR', 'IT', 'ES'] },
    "p.country = 'FR' OR p.country = 'IT' OR p.country = 'ES'"],
  ['not_in', 'profiles', { field: 'loyalty_tier', op: 'not_in', value: ['gold', 'silver'] },
    "p.loyalty_tier IS NOT NULL AND p.loyalty_tier NOT IN ('gold', 'silver')"],
  ['in_empty', 'profiles', { field: 'country', op: 'in', value: [] }, '0'],
  ['bool_true', 'profiles', { field: 'email_opt_in', op: 'eq', value: true }, 'p.email_opt_in = 1'],
  ['bool_false', 'profiles', { field: 'sms_opt_in', op: 'eq', value: false }, 'p.sms_opt_in = 0'],
  ['between_dates', 'profiles', { field: 'birth_date', op: 'between', value: ['1990-01-01', '1994-12-31'] },
    "p.birth_date >= '1990-01-01' AND p.birth_date <= '1994-12-31'"],
  ['starts_with_ci', 'profiles', { field: 'last_name', op: 'starts_with', value: 'sch' },
    "lower(substr(p.last_name, 1, 3)) = 'sch'"],
  ['contains_literal_underscore', 'profiles', { field: 'email', op: 'contains', value: '_' },
    "instr(p.email, '_') > 0"],
  ['contains_percent', 'profiles', { field: 'email', op: 'contains', value: '%' },
    "instr(p.email, '%') > 0"],
  ['ends_with_ci', 'profiles', { field: 'email', op: 'ends_with', value: '.ORG' },
    "lower(substr(p.email, -4)) = '.org'"],
  ['is_null', 'profiles', { field: 'push_token', op: 'is_null' }, 'p.push_token IS NULL'],
  ['not_null', 'profiles', { field: 'phone', op: 'not_null' }, 'p.phone IS NOT NULL'],
  ['after_abs', 'profiles', { field: 'created_at', op: 'after', value: '2025-01-01T00:00:00Z' },
    "p.created_at > '2025-01-01T00:00:00Z'"],
  ['before_rel_adult', 'profiles', { field: 'birth_date', op: 'before', value: '-18y' },
    "p.birth_date <= '2008-06-15'"],
  ['ge_date', 'profiles', { field: 'created_at', op: 'ge', value: '2024-03-01T00:00:00Z' },
    "p.created_at >= '2024-03-01T00:00:00Z'"],
  ['any_empty', 'profiles', { any: [] }, '0'],
  ['all_empty', 'profiles', { all: [] }, '1'],
  ['nested', 'profiles', { any: [
    { all: [{ field: 'country', op: 'eq', value: 'FR' }, { field: 'push_opt_in', op: 'eq', value: true }] },
    { not: { any: [{ field: 'country', op: 'in', value: ['FR', 'DE', 'GB', 'US'] }, { field: 'email', op: 'is_null' }] } },
  ] }, "(p.country = 'FR' AND p.push_opt_in = 1) OR (p.country NOT IN ('FR','DE','GB','US') AND p.email IS NOT NULL)"],
  ['exists_true', 'profiles', { link: 'orders', exists: true },
    'p.id IN (SELECT profile_id FROM orders)'],
  ['not_exists', 'profiles', { not: { link: 'orders', exists: {} } },
    'p.id NOT IN (SELECT profile_id FROM orders)'],
  ['exists_within_2w', 'profiles', { link: 'orders', exists: { field: 'created_at', op: 'within_last', value: '2w' } },
    `p.id IN (SELECT profile_id FROM orders WHERE created_at >= ${lit(C2W)})`],
  ['agg_count', 'profiles', { link: 'orders', aggregate: 'count', op: 'gt', value: 4 },
    '(SELECT count(*) FROM orders o WHERE o.profile_id = p.id) > 4'],
  ['agg_count_filtered_zero', 'profiles', { link: 'orders', aggregate: 'count',
    filter: { field: 'status', op: 'eq', value: 'refunded' }, op: 'eq', value: 0 },
    "p.id NOT IN (SELECT profile_id FROM orders WHERE status = 'refunded')"],
  ['agg_sum_le', 'profiles', { link: 'orders', aggregate: 'sum', field: 'amount', op: 'le', value: 50 },
    '(SELECT total(amount) FROM orders o WHERE o.profile_id = p.id) <= 50'],
  ['agg_avg_null_false', 'profiles', { link: 'orders', aggregate: 'avg', field: 'amount', op: 'lt', value: 40 },
    'EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id) AND (SELECT avg(amount) FROM orders o WHERE o.profile_id = p.id) < 40'],
  ['agg_max', 'profiles', { link: 'orders', aggregate: 'max', field: 'amount', op: 'ge', value: 400 },
    'EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id AND o.amount >= 400)'],
  ['agg_min_date', 'profiles', { link: 'orders', aggregate: 'min', field: 'created_at', op: 'before', value: '2021-06-01T00:00:00Z' },
    "EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id AND o.created_at < '2021-06-01T00:00:00Z')"],
  ['n1_link_households', 'profiles', { link: 'households', exists: { field: 'size', op: 'ge', value: 4 } },
    'p.household_id IN (SELECT id FROM households WHERE size >= 4)'],
  ['orders_between_amount', 'orders', { all: [
    { field: 'amount', op: 'between', value: [50, 100] },
    { field: 'status', op: 'in', value: ['completed', 'shipped'] }] },
    "p.amount >= 50 AND p.amount <= 100 AND p.status IN ('completed','shipped')"],
  ['orders_within_12h', 'orders', { field: 'created_at', op: 'within_last', value: '12h' },
    `p.created_at >= ${lit(C12H)}`],
  ['orders_of_german', 'orders', { all: [
    { link: 'profiles', exists: { field: 'country', op: 'eq', value: 'DE' } },
    { field: 'created_at', op: 'within_last', value: '30d' }] },
    `p.profile_id IN (SELECT id FROM profiles WHERE country = 'DE') AND p.created_at >= ${lit(C30D)}`],
  ['orders_ne_real', 'orders', { field: 'amount', op: 'gt', value: 99.5 }, 'p.amount > 99.5'],
  ['not_agg_avg_nulls', 'profiles', { not: { link: 'orders', aggregate: 'avg', field: 'amount', op: 'lt', value: 40 } },
    'NOT (EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id) AND (SELECT avg(amount) FROM orders o WHERE o.profile_id = p.id) < 40)'],
  ['between_reversed', 'orders', { field: 'amount', op: 'between', value: [100, 50] }, '0'],
  ['ne_bool', 'profiles', { field: 'push_opt_in', op: 'ne', value: true }, 'p.push_opt_in = 0'],
  ['starts_with_literal_percent', 'profiles', { field: 'email', op: 'starts_with', value: 'odd%' },
    "substr(p.email, 1, 4) = 'odd%'"],
  ['lt_date_with_time', 'profiles', { field: 'birth_date', op: 'lt', value: '1990-06-01T12:00:00Z' },
    "p.birth_date <= '1990-06-01'"],
  ['ge_date_with_time', 'profiles', { field: 'birth_date', op: 'ge', value: '1990-06-01T12:00:00Z' },
    "p.birth_date >= '1990-06-02'"],
  ['after_relative', 'orders', { field: 'created_at', op: 'after', value: '-30d' },
    `p.created_at > ${lit(C30D)}`],
];

before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 2500, 5);
  for (const c of [C2W, C12H, C30D]) clearMargin(db, 'orders', 'created_at', c, 10 * 60 * 1000);
  // A literal '%' in one email, so that "contains %" is not a wildcard.
  sqlInt(db, "UPDATE profiles SET email = 'odd%mail@example.org' WHERE id = 7; SELECT changes();");
  // The edge of "before -18y" (a date-only column, now = noon): born on that day is in.
  sqlInt(db, "UPDATE profiles SET birth_date = '1990-06-01' WHERE id IN (10, 11);" +
    "UPDATE profiles SET birth_date = '1990-06-02' WHERE id = 12; SELECT changes();");
  sqlInt(db, "UPDATE profiles SET birth_date = '2008-06-15' WHERE id = 8;" +
    "UPDATE profiles SET birth_date = '2008-06-16' WHERE id = 9; SELECT changes();");
  const doc = {
    name: 'e2e filters',
    activities: cases.map(([id, dim, filter]) => ({ id, type: 'build_audience', dimension: dim, filter })),
    transitions: [],
  };
  out = runOk(tmp, db, doc);
});

after(() => cleanup?.());

for (const [id, dim, , where] of cases) {
  test(`filter ${id}`, () => {
    const expected = sqlInt(db, `SELECT count(*) FROM ${dim} p WHERE ${where};`);
    assert.equal(out.counts[id].out, expected);
  });
}

test('the cases are not vacuous', () => {
  const nonEmpty = cases.filter(([id]) => out.counts[id].out > 0).length;
  assert.ok(nonEmpty >= cases.length - 3, `${nonEmpty} of ${cases.length} non-empty`);
  assert.equal(out.counts.contains_percent.out, 1);
  assert.ok(out.counts.not_eq_nulls.out > out.counts.ne_text.out, 'not(eq) keeps the NULLs, ne does not');
});
