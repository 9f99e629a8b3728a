// Bad input never crashes: every call ends with exit 1 (or 2 for usage) and a message on
// stderr, never a signal, a sanitizer report or a hang; identifiers cannot be injected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { makeTmp, genData, writeDoc, sw, sqlInt, sql, runDoc } from './lib/helpers.mjs';

let cleanup, tmp, db, profiles;
before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 300, 2);
  profiles = sqlInt(db, 'SELECT count(*) FROM profiles');
});
after(() => cleanup?.());

function noCrash(res, codes = [1], { jsonErrors = false } = {}) {
  assert.equal(res.signal, null, `killed by ${res.signal}: ${res.stderr.slice(0, 2000)}`);
  assert.ok(!res.timedOut, 'hung');
  assert.ok(codes.includes(res.status), `exit ${res.status} not in ${codes}: ${res.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(res.stderr, /AddressSanitizer|runtime error:|LeakSanitizer/);
  if (res.status === 0) return;
  if (jsonErrors) {
    // validate --json: the errors are the JSON on stdout
    const out = JSON.parse(res.stdout);
    assert.equal(out.valid, false);
    assert.ok(out.errors.length > 0 && out.errors.every((e) => e.message), res.stdout);
  } else {
    assert.ok(res.stderr.trim().length > 0, 'a message on stderr');
  }
}

/** validate (structure only and with --data) and run on the same file. */
function allCommands(file, codes = [1], structCodes = codes) {
  noCrash(sw(['validate', file]), structCodes);
  noCrash(sw(['validate', file, '--data', db, '--json']), codes, { jsonErrors: true });
  noCrash(sw(['run', file, '--data', db]), codes);
  noCrash(sw(['run', file, '--data', db, '--json', '--dry-run']), codes);
}

const nested = (n, leaf) => {
  let s = leaf;
  for (let i = 0; i < n; i++) s = `{"not":${s}}`;
  return s;
};
const docWithFilter = (filterText) =>
  `{"name":"x","activities":[{"id":"a","type":"build_audience","filter":${filterText}}],"transitions":[]}`;

test('empty file', () => allCommands(writeDoc(tmp, '', 'empty.json')));
test('whitespace only', () => allCommands(writeDoc(tmp, ' \n\t\n', 'ws.json')));
test('binary garbage', () => {
  const buf = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x7b, 0x00, 0x22]), randomBytes(4096)]);
  allCommands(writeDoc(tmp, buf, 'garbage.json'));
});
test('invalid UTF-8 inside a string', () => {
  const buf = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
    Buffer.from('","activities":[],"transitions":[]}')]);
  allCommands(writeDoc(tmp, buf, 'badutf8.json'));
});
test('JSON that is not an object', () => {
  for (const t of ['[]', 'null', '42', '"campaign"', 'true', '[{"name":"x"}]']) allCommands(writeDoc(tmp, t));
});
test('truncated document', () => allCommands(writeDoc(tmp, '{"name":"x","activities":[{"id":"a","type":"build_aud')));
test('10000 nested {"not": ...}', () => {
  allCommands(writeDoc(tmp, docWithFilter(nested(10000, '{"field":"country","op":"eq","value":"FR"}')), 'deep.json'));
});
test('100 nested {"not": ...} (parses, too deep for a filter)', () => {
  const file = writeDoc(tmp, docWithFilter(nested(100, '{"field":"country","op":"eq","value":"FR"}')));
  allCommands(file);
  assert.match(sw(['validate', file]).stderr, /nested too deeply/);
});
test('deeply nested all/any and arrays', () => {
  let s = '{"field":"country","op":"eq","value":"FR"}';
  for (let i = 0; i < 3000; i++) s = i % 2 ? `{"all":[${s}]}` : `{"any":[${s}]}`;
  allCommands(writeDoc(tmp, docWithFilter(s)));
  allCommands(writeDoc(tmp, '['.repeat(100000) + ']'.repeat(100000)));
});
test('very long strings', () => {
  const long = 'x'.repeat(2_000_000);
  const docs = [
    { name: long, activities: [{ id: 'a', type: 'build_audience' }], transitions: [] },
    { name: 'x', activities: [{ id: long, type: 'build_audience' }], transitions: [] },
    { name: 'x', activities: [{ id: 'a', type: long }], transitions: [] },
    { name: 'x', activities: [{ id: 'a', type: 'build_audience', filter: { field: long, op: 'eq', value: 1 } }], transitions: [] },
    { name: 'x', activities: [{ id: 'a', type: 'build_audience', filter: { field: 'country', op: long, value: 1 } }], transitions: [] },
    { name: 'x', [long]: 1, activities: [{ id: 'a', type: 'build_audience' }], transitions: [] },
    { name: 'x', activities: [{ id: 'a', type: 'build_audience' },
      { id: 'm', type: 'email', to_field: 'email', from: 'a@b.c', subject: `{{${long}}}`, text: long }],
    transitions: [{ from: 'a', to: 'm' }] },
  ];
  // without --data an unknown (long) field name is structurally fine: exit 0 allowed there
  for (const d of docs) allCommands(writeDoc(tmp, d), [1], [0, 1]);
  // a long value is just a value: valid, and matches nothing
  const ok = { name: 'e2e long value', activities: [{ id: 'a', type: 'build_audience',
    filter: { any: [{ field: 'city', op: 'eq', value: long }, { field: 'email', op: 'in', value: [long, long] }] } }],
  transitions: [] };
  const { res, out } = runDoc(tmp, db, ok);
  noCrash(res, [0]);
  assert.equal(out.counts.a.out, 0);
});
test('a long contains/starts_with value is refused when saved or matches nothing', () => {
  // SPEC §2: problems are errors at save time, not at run time. A text value longer than
  // SQLite's LIKE pattern limit (50000 bytes by default) must either be refused by validate
  // or run (and match nothing); it must not pass validation and then fail the run.
  for (const op of ['contains', 'starts_with']) {
    const doc = { name: `e2e long ${op}`, activities: [{ id: 'a', type: 'build_audience',
      filter: { field: 'city', op, value: 'y'.repeat(60000) } }], transitions: [] };
    const file = writeDoc(tmp, doc);
    const v = sw(['validate', file, '--data', db]);
    noCrash(v, [0, 1]);
    const r = sw(['run', file, '--data', db, '--json']);
    noCrash(r, [0, 1]);
    if (v.status === 0) {
      assert.equal(r.status, 0, `validate accepted it, but the run failed: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).counts.a.out, 0);
    }
  }
});
test('many activities and transitions', () => {
  const acts = [{ id: 'a0', type: 'build_audience' }];
  const trans = [];
  for (let i = 1; i <= 600; i++) {
    acts.push({ id: `a${i}`, type: 'fork' });
    trans.push({ from: `a${i - 1}`, to: `a${i}` });
  }
  allCommands(writeDoc(tmp, { name: 'x', activities: acts, transitions: trans }));
});
test('a missing file', () => {
  const missing = path.join(tmp, 'does-not-exist.json');
  noCrash(sw(['validate', missing]));
  noCrash(sw(['run', missing, '--data', db]));
  assert.match(sw(['validate', missing]).stderr, /does-not-exist/);
});
test('a directory as the campaign file', () => {
  noCrash(sw(['validate', tmp]));
  noCrash(sw(['run', tmp, '--data', db]));
});
test('a data URL to something that is not a database', () => {
  const text = path.join(tmp, 'notes.txt');
  writeFileSync(text, 'these are not the tables you are looking for\n'.repeat(100));
  const garbage = path.join(tmp, 'garbage.db');
  writeFileSync(garbage, randomBytes(8192));
  const dir = path.join(tmp, 'a-dir.db');
  mkdirSync(dir);
  const file = writeDoc(tmp, { name: 'x', activities: [{ id: 'a', type: 'build_audience' }], transitions: [] });
  for (const url of [text, garbage, dir, `sqlite:${text}`, path.join(tmp, 'no', 'such', 'dir', 'x.db'),
    'postgresql://127.0.0.1:1/nothing', 'mysql://nope']) {
    noCrash(sw(['validate', file, '--data', url]));
    noCrash(sw(['run', file, '--data', url, '--json']));
  }
  noCrash(sw(['demo-data', '--out', path.join(tmp, 'no', 'such', 'dir', 'x.db'), '--profiles', '10']));
});
test('a bad STEPWISE_NOW is a usage error', () => {
  const file = writeDoc(tmp, { name: 'x', activities: [{ id: 'a', type: 'build_audience' }], transitions: [] });
  noCrash(sw(['run', file, '--data', db], { env: { STEPWISE_NOW: 'yesterday' } }), [2]);
});

const INJECT = 'country"; DROP TABLE profiles; --';
test('identifier injection is a validation error and the table survives', () => {
  const docs = [
    { name: 'inj1', activities: [{ id: 'a', type: 'build_audience', filter: { field: INJECT, op: 'eq', value: 'FR' } }], transitions: [] },
    { name: 'inj2', activities: [{ id: 'a', type: 'build_audience', filter: { link: 'orders"; DROP TABLE orders; --', exists: {} } }], transitions: [] },
    { name: 'inj3', targeting_dimension: 'profiles; DROP TABLE profiles', activities: [{ id: 'a', type: 'build_audience' }], transitions: [] },
    { name: 'inj4', activities: [{ id: 'a', type: 'build_audience' },
      { id: 'e', type: 'enrich', columns: [{ name: 'x"; DROP TABLE profiles; --', field: 'country' }] }],
    transitions: [{ from: 'a', to: 'e' }] },
    { name: 'inj5', activities: [{ id: 'a', type: 'build_audience' },
      { id: 'd', type: 'deduplicate', fields: [INJECT] }], transitions: [{ from: 'a', to: 'd' }] },
    { name: 'inj6', activities: [{ id: 'a', type: 'build_audience' },
      { id: 's', type: 'split', segments: [{ port: 'p', limit: 3, order_by: INJECT }] }], transitions: [{ from: 'a', to: 's' }] },
    { name: 'inj7', activities: [{ id: 'a', type: 'build_audience' },
      { id: 'x', type: 'export', path: 'x.csv', columns: [INJECT] }], transitions: [{ from: 'a', to: 'x' }] },
  ];
  for (const d of docs) {
    const file = writeDoc(tmp, d);
    const v = sw(['validate', file, '--data', db, '--json']);
    noCrash(v, [1], { jsonErrors: true });
    const out = JSON.parse(v.stdout);
    assert.equal(out.valid, false);
    assert.ok(out.errors.every((e) => typeof e.path === 'string' && e.path.startsWith('$')), JSON.stringify(out.errors));
    noCrash(sw(['run', file, '--data', db, '--export-dir', tmp]));
  }
  assert.equal(sqlInt(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'profiles'"), 1);
  assert.equal(sqlInt(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'orders'"), 1);
  assert.equal(sqlInt(db, 'SELECT count(*) FROM profiles'), profiles);
});

test('hostile values are bound, not executed', () => {
  const d = {
    name: "e2e values'; DROP TABLE profiles; --",
    activities: [
      { id: 'a', type: 'build_audience', filter: { any: [
        { field: 'country', op: 'eq', value: "FR' OR '1'='1" },
        { field: 'city', op: 'in', value: ["x'); DROP TABLE profiles; --"] },
        { field: 'email', op: 'contains', value: "%' OR 1=1 --" },
      ] } },
      { id: 's', type: 'save_audience', audience: 'aud"; DROP TABLE profiles; --' },
    ],
    transitions: [{ from: 'a', to: 's' }],
  };
  const { res, out } = runDoc(tmp, db, d);
  noCrash(res, [0]);
  assert.equal(out.counts.a.out, 0);
  assert.equal(sqlInt(db, 'SELECT count(*) FROM profiles'), profiles);
  assert.equal(sql(db, `SELECT count(*) FROM sw_audiences WHERE name = 'aud"; DROP TABLE profiles; --'`), '1');
});
