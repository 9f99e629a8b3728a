// The command line (SPEC §5): --help on every command, usage errors exit 2, demo-data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeTmp, genData, writeDoc, sw, sql, sqlInt } from './lib/helpers.mjs';

let cleanup, tmp, db, doc;
before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 200, 9);
  doc = writeDoc(tmp, {
    name: 'e2e cli',
    activities: [
      { id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
      { id: 'sp', type: 'split', segments: [{ port: 'optin', filter: { field: 'email_opt_in', op: 'eq', value: true } }], complement: 'rest' },
    ],
    transitions: [{ from: 'fr', to: 'sp' }],
  });
});
after(() => cleanup?.());

function usage(res, code) {
  assert.equal(res.signal, null);
  assert.equal(res.status, code, `${res.stdout}\n${res.stderr}`);
}

/** The commands the top-level usage advertises. */
function commands() {
  const res = sw(['--help']);
  usage(res, 0);
  const m = res.stdout.split(/\ncommands:\n/)[1];
  assert.ok(m, res.stdout);
  const cmds = [...m.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((x) => x[1]);
  assert.ok(cmds.length >= 4, `commands listed: ${cmds}`);
  return cmds;
}

test('top-level help: --help, -h, help → exit 0 on stdout; no command → exit 2', () => {
  for (const a of [['--help'], ['-h'], ['help']]) {
    const r = sw(a);
    usage(r, 0);
    assert.match(r.stdout, /usage: stepwise/);
  }
  const none = sw([]);
  usage(none, 2);
  assert.match(none.stderr, /usage/);
});

test('--help on every command exits 0 with its usage', () => {
  const cmds = commands();
  for (const c of ['validate', 'run', 'demo-data']) assert.ok(cmds.includes(c), `${c} listed`);
  for (const c of cmds) {
    for (const h of ['--help', '-h']) {
      const r = sw([c, h], { timeout: 20_000 });
      usage(r, 0);
      assert.match(r.stdout, new RegExp(`usage: stepwise ${c}\\b`), `${c} ${h}`);
    }
  }
  // --help wins over other arguments, even bad ones
  usage(sw(['run', 'nothing.json', '--help']), 0);
  usage(sw(['validate', '--json', '--help']), 0);
});

test('unknown command → exit 2', () => {
  for (const c of ['bogus', 'Run', 'validat', '--bogus', '-x']) {
    const r = sw([c]);
    usage(r, 2);
    assert.ok(r.stderr.length > 0);
  }
});

test('unknown or incomplete options → exit 2 on every command', () => {
  const cases = [
    ['validate', doc, '--bogus'],
    ['validate', doc, '--data'],
    ['validate'],
    ['validate', doc, doc],
    ['run', doc, '--data', db, '--bogus'],
    ['run', doc, '--data'],
    ['run', doc],
    ['run', '--data', db],
    ['run', doc, doc, '--data', db],
    ['run', doc, '--data', db, '--seed', 'abc'],
    ['run', doc, '--data', db, '--seed', '-1'],
    ['run', doc, '--data', db, '--var'],
    ['demo-data'],
    ['demo-data', '--out', path.join(tmp, 'x.db'), '--profiles', 'many'],
    ['demo-data', '--out', path.join(tmp, 'x.db'), '--profiles', '0'],
    ['demo-data', '--bogus'],
    ['demo', '--bogus'],
  ];
  for (const args of cases) {
    const r = sw(args, { timeout: 20_000 });
    assert.equal(r.signal, null);
    assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}: ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, `${args.join(' ')}: message on stderr`);
  }
});

test('run prints the transitions and tasks without --json; sqlite: URLs work', () => {
  const r = sw(['run', doc, '--data', `sqlite:${db}`]);
  usage(r, 0);
  const fr = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
  assert.match(r.stdout, /transitions:/);
  assert.match(r.stdout, /tasks:/);
  assert.match(r.stdout, new RegExp(`fr\\s+--out-->\\s+sp\\s+${fr}\\b`));
  assert.match(r.stdout, new RegExp(`optin=${sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR' AND email_opt_in = 1")}\\b`));
});

test('demo-data: --profiles N rows, same --seed gives the same data', () => {
  const a = genData(tmp, 120, 77, 'a.db');
  const b = genData(tmp, 120, 77, 'b.db');
  const c = genData(tmp, 120, 78, 'c.db');
  assert.equal(sqlInt(a, 'SELECT count(*) FROM profiles'), 120);
  assert.ok(sqlInt(a, 'SELECT count(*) FROM orders') > 0);
  assert.ok(sqlInt(a, 'SELECT count(*) FROM households') > 0);
  const dump = (f) => sql(f, 'SELECT * FROM profiles ORDER BY id; SELECT * FROM orders ORDER BY id;');
  assert.equal(dump(a), dump(b));
  assert.notEqual(dump(a), dump(c));
  // the columns the engine and the tests rely on
  const cols = sql(a, "SELECT group_concat(name, ',') FROM pragma_table_info('profiles')");
  for (const col of ['id', 'email', 'country', 'email_opt_in', 'birth_date', 'created_at', 'household_id']) {
    assert.ok(cols.split(',').includes(col), `profiles.${col}`);
  }
  assert.equal(sqlInt(a, "SELECT count(*) FROM profiles WHERE email_opt_in NOT IN (0, 1)"), 0);
  assert.equal(sqlInt(a, "SELECT count(*) FROM orders WHERE created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'"), 0);
});
