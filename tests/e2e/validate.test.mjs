// stepwise validate: every error with its JSON path, all at once (SPEC §2 rules, §5).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTmp, genData, writeDoc, sw } from './lib/helpers.mjs';

let cleanup, tmp, db;
before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 300, 1);
});
after(() => cleanup?.());

// A valid document; each case below breaks one thing in a fresh copy.
const base = () => ({
  name: 'e2e valid',
  description: 'all the parts',
  tags: ['e2e'],
  targeting_dimension: 'profiles',
  options: { keep_interim_results: false, history_days: 30 },
  variables: { min_spend: 100 },
  activities: [
    { id: 'src', type: 'build_audience', filter: { all: [
      { field: 'country', op: 'eq', value: 'FR' },
      { field: 'email_opt_in', op: 'eq', value: true },
      { link: 'orders', exists: { field: 'created_at', op: 'within_last', value: '365d' } },
    ] } },
    { id: 'value', type: 'enrich', columns: [
      { name: 'spent', link: 'orders', aggregate: 'sum', field: 'amount' }] },
    { id: 'tiers', type: 'split', segments: [
      { port: 'vip', filter: { field: 'spent', op: 'ge', value: { var: 'min_spend' } } }], complement: 'others' },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com',
      subject: '{{first_name | default: "Hello"}}, {{spent}} spent', html: '<p>{{last_name}}</p>' },
    { id: 'csv', type: 'export', path: 'out/others.csv', columns: ['email', 'spent'] },
  ],
  transitions: [
    { from: 'src', to: 'value' }, { from: 'value', to: 'tiers' },
    { from: 'tiers', port: 'vip', to: 'mail' }, { from: 'tiers', port: 'others', to: 'csv' },
  ],
});

function validate(doc, withData = true, extra = []) {
  const file = writeDoc(tmp, doc);
  const res = sw(['validate', file, ...(withData ? ['--data', db] : []), '--json', ...extra]);
  let out = null;
  try {
    out = JSON.parse(res.stdout);
  } catch {
    /* left null */
  }
  return { res, out };
}

function expectErrors(doc, paths, { withData = true, messages = [] } = {}) {
  const { res, out } = validate(doc, withData);
  assert.equal(res.signal, null);
  assert.equal(res.status, 1, `expected invalid: ${res.stdout} ${res.stderr}`);
  assert.ok(out, `--json output: ${res.stdout}`);
  assert.equal(out.valid, false);
  const got = out.errors.map((e) => e.path);
  for (const p of paths) assert.ok(got.includes(p), `missing error at ${p}; got ${JSON.stringify(out.errors)}`);
  for (const re of messages) assert.ok(out.errors.some((e) => re.test(e.message)), `no message matching ${re}: ${JSON.stringify(out.errors)}`);
  for (const e of out.errors) assert.equal(typeof e.message, 'string');
  return out.errors;
}

test('the base document is valid, with and without --data', () => {
  for (const withData of [true, false]) {
    const { res, out } = validate(base(), withData);
    assert.equal(res.status, 0, JSON.stringify(out));
    assert.deepEqual(out, { valid: true, errors: [] });
  }
  const plain = sw(['validate', writeDoc(tmp, base()), '--data', db]);
  assert.equal(plain.status, 0);
  assert.match(plain.stdout, /valid/);
});

const cases = [
  ['unknown operator', (d) => { d.activities[0].filter.all[1].op = 'equals'; },
    ['$.activities[0].filter.all[1].op'], [/unknown operator "equals"/]],
  ['unknown field (with --data)', (d) => { d.activities[0].filter.all[0].field = 'shoe_size'; },
    ['$.activities[0].filter.all[0].field'], [/shoe_size/]],
  ['unknown link', (d) => { d.activities[0].filter.all[2].link = 'payments'; },
    ['$.activities[0].filter.all[2].link'], [/payments/]],
  ['unknown field behind a link', (d) => { d.activities[0].filter.all[2].exists.field = 'paid_at'; },
    ['$.activities[0].filter.all[2].exists.field'], [/paid_at/]],
  ['type mismatch', (d) => { d.activities[0].filter.all[1].value = 'yes'; },
    ['$.activities[0].filter.all[1].value'], []],
  ['bad duration', (d) => { d.activities[0].filter.all[2].exists.value = 'a year'; },
    ['$.activities[0].filter.all[2].exists.value'], []],
  ['undeclared variable', (d) => { d.activities[2].segments[0].filter.value = { var: 'max_spend' }; },
    ['$.activities[2].segments[0].filter.value'], [/max_spend/]],
  ['dangling transition', (d) => { d.transitions[0].to = 'nowhere'; },
    ['$.transitions[0].to'], [/nowhere/]],
  ['dangling transition source', (d) => { d.transitions[1].from = 'ghost'; },
    ['$.transitions[1].from'], [/ghost/]],
  ['cycle', (d) => { d.transitions.push({ from: 'tiers', port: 'others', to: 'value' }); },
    ['$.transitions'], [/cycle/]],
  ['duplicate id', (d) => { d.activities[1].id = 'src'; d.transitions = []; },
    ['$.activities[1].id'], [/duplicate/]],
  ['unknown activity type', (d) => { d.activities[4].type = 'fax'; },
    ['$.activities[4].type'], [/unknown activity type "fax"/]],
  ['root that is not a source', (d) => { d.transitions.shift(); },
    ['$.activities[1]'], [/root/]],
  ['bad port on a transition', (d) => { d.transitions[2].port = 'gold'; },
    ['$.transitions[2].port'], [/gold/]],
  ['unknown top-level field', (d) => { d.colour = 'blue'; },
    ['$.colour'], [/colour/]],
  ['unknown activity option', (d) => { d.activities[0].limit = 5; },
    ['$.activities[0].limit'], []],
  ['bad enrich aggregate', (d) => { d.activities[1].columns[0].aggregate = 'median'; },
    ['$.activities[1].columns[0].aggregate'], [/median/]],
  ['enrich column shadowing a field', (d) => { d.activities[1].columns[0].name = 'email'; d.activities[4].columns = ['email']; },
    ['$.activities[1].columns[0].name'], []],
  ['unknown personalization field in a subject (with --data)', (d) => { d.activities[3].subject = 'Hi {{nickname}}'; },
    ['$.activities[3].subject'], [/nickname/]],
  ['unknown to_field', (d) => { d.activities[3].to_field = 'mail_address'; },
    ['$.activities[3].to_field'], []],
  ['absolute export path', (d) => { d.activities[4].path = '/etc/passwd'; },
    ['$.activities[4].path'], []],
  ['export path escaping with ..', (d) => { d.activities[4].path = 'a/../../x.csv'; },
    ['$.activities[4].path'], []],
  ['bad id', (d) => { d.activities[4].id = 'has space'; d.transitions[3].to = 'has space'; },
    ['$.activities[4].id'], []],
  ['missing name', (d) => { delete d.name; }, ['$.name'], []],
  ['unknown targeting dimension', (d) => { d.targeting_dimension = 'customers'; },
    ['$.targeting_dimension'], [/customers/]],
  ['bad split percent', (d) => { d.activities[2].segments.push({ port: 'p', percent: 150 }); },
    ['$.activities[2].segments[1].percent'], []],
  ['bad schedule', (d) => { d.schedule = { cron: 'every day' }; }, ['$.schedule.cron'], []],
];

for (const [name, mutate, paths, messages] of cases) {
  test(`validate rejects: ${name}`, () => {
    const d = base();
    mutate(d);
    expectErrors(d, paths, { messages });
  });
}

test('invalid JSON syntax reports the line and column', () => {
  const text = '{\n  "name": "x",\n  "activities": [\n    {"id": "a" "type": "build_audience"}\n  ],\n  "transitions": []\n}\n';
  const { res, out } = validate(text, false);
  assert.equal(res.status, 1);
  assert.equal(out.valid, false);
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0].message, /line 4, column \d+/);
  const plain = sw(['validate', writeDoc(tmp, text)]);
  assert.equal(plain.status, 1);
  assert.match(plain.stderr, /line 4/);
});

test('several errors in one document are all reported at once', () => {
  const d = base();
  d.colour = 'blue';
  d.activities[0].filter.all[1].op = 'equals';
  d.activities[0].filter.all[0].field = 'shoe_size';
  d.activities[1].columns[0].aggregate = 'median';
  d.activities[3].subject = 'Hi {{nickname}}';
  d.activities[4].type = 'fax';
  d.transitions.push({ from: 'src', to: 'ghost' });
  const errors = expectErrors(d, [
    '$.colour', '$.activities[0].filter.all[1].op', '$.activities[0].filter.all[0].field',
    '$.activities[1].columns[0].aggregate', '$.activities[3].subject', '$.activities[4].type',
    '$.transitions[4].to',
  ]);
  assert.ok(errors.length >= 7);
  // the plain form lists them on stderr, one per line with its path
  const plain = sw(['validate', writeDoc(tmp, d), '--data', db]);
  assert.equal(plain.status, 1);
  for (const p of ['$.colour', '$.activities[0].filter.all[1].op', '$.transitions[4].to']) {
    assert.ok(plain.stderr.includes(p), `${p} not on stderr: ${plain.stderr}`);
  }
});

test('structure only (no --data): unknown field names pass, bad operators do not', () => {
  const d = base();
  d.activities[0].filter.all[0].field = 'shoe_size';
  d.activities[3].subject = 'Hi {{nickname}}';
  const noData = validate(d, false);
  assert.equal(noData.res.status, 0, JSON.stringify(noData.out));
  assert.equal(noData.out.valid, true);
  const withData = validate(d, true);
  assert.equal(withData.res.status, 1);
  d.activities[0].filter.all[1].op = 'equals';
  expectErrors(d, ['$.activities[0].filter.all[1].op'], { withData: false });
});

test('run refuses an invalid document without starting a run', () => {
  const d = base();
  d.activities[0].filter.all[1].op = 'equals';
  const res = sw(['run', writeDoc(tmp, d), '--data', db, '--json']);
  assert.equal(res.status, 1);
  assert.match(res.stderr, /\$\.activities\[0\]\.filter\.all\[1\]\.op/);
});
