// stepwise token create / user add (SPEC §4 auth, §5): a token is printed once and stored
// only as a hash; a user's password comes from standard input and is stored as Argon2id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTmp, genData, sw, sql, sqlInt, lit } from './lib/helpers.mjs';

let cleanup, tmp, db;
before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 50, 1);
});
after(() => cleanup?.());

// Cheap Argon2id for new passwords: the stored string records the cost either way.
const FAST = { STEPWISE_ARGON2_FAST: '1' };

function lastWord(s) {
  const words = s.trim().split(/\s+/);
  return words[words.length - 1];
}

test('token create prints a token, last word of the output, and stores only its hash', () => {
  const r = sw(['token', 'create', '--role', 'editor', '--name', 'ci bot', '--data', db]);
  assert.equal(r.status, 0, r.stderr);
  const token = lastWord(r.stdout);
  assert.match(token, /^swt_[A-Za-z0-9_-]{43}$/);
  assert.match(r.stdout, /editor/);

  const rows = sql(db, "SELECT name || '|' || role || '|' || hash FROM sw_tokens");
  assert.equal(rows.split('\n').length, 1);
  const [name, role, hash] = rows.split('|');
  assert.equal(name, 'ci bot');
  assert.equal(role, 'editor');
  assert.match(hash, /^[0-9a-f]{64}$/);
  // The clear token appears nowhere in the catalog row (that the hash is BLAKE2b-256 of the
  // token is checked by the unit tests: node has no BLAKE2b-256).
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_tokens WHERE instr(hash || name || role, ${lit(token.slice(4))})`), 0);

  // A second token differs; without --name the name is empty.
  const r2 = sw(['token', 'create', '--role', 'viewer', '--data', db]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.notEqual(lastWord(r2.stdout), token);
  assert.equal(sqlInt(db, "SELECT count(*) FROM sw_tokens WHERE role = 'viewer' AND name IS NULL"), 1);
});

test('the data source may come from STEPWISE_DATA', () => {
  const r = sw(['token', 'create', '--role', 'admin'], { env: { STEPWISE_DATA: db } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(lastWord(r.stdout), /^swt_/);
  assert.ok(sqlInt(db, "SELECT count(*) FROM sw_tokens WHERE role = 'admin'") >= 1);
});

test('token create usage errors', () => {
  for (const args of [
    ['token', 'create', '--role', 'root', '--data', db],
    ['token', 'create', '--data', db],
    ['token', 'create', '--role', 'editor'],
    ['token', 'create', '--role', 'editor', '--data', db, '--bogus'],
    ['token', 'frobnicate', '--data', db],
    ['token'],
  ]) {
    const r = sw(args);
    assert.ok(r.status === 2 || r.status === 1, `${args.join(' ')} → ${r.status}`);
    assert.equal(r.signal, null);
    assert.equal(r.stdout.match(/swt_/), null, `no token printed for ${args.join(' ')}`);
  }
  assert.equal(sw(['token', 'create', '--role', 'root', '--data', db]).status, 2);
  const h = sw(['token', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /token create --role ROLE/);
  // A data source that does not exist is a user error, not a new empty database.
  const m = sw(['token', 'create', '--role', 'editor', '--data', `${tmp}/missing.db`]);
  assert.equal(m.status, 1);
});

test('user add reads the password from standard input and stores an Argon2id hash', () => {
  const r = sw(['user', 'add', 'alice', '--role', 'admin', '--data', db], {
    input: 'correct horse battery\n',
    env: FAST,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'user alice added (admin)');
  const hash = sql(db, "SELECT password_hash FROM sw_users WHERE name = 'alice' AND role = 'admin'");
  assert.match(hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=1\$/);
  assert.ok(!hash.includes('correct horse'));
  assert.ok(!r.stdout.includes('correct horse') && !r.stderr.includes('correct horse'));

  // Only the first line counts; CRLF line ends are stripped too.
  const r2 = sw(['user', 'add', 'bob', '--role', 'viewer', '--data', db], {
    input: 'first-line-pw\r\nsecond line\n',
    env: FAST,
  });
  assert.equal(r2.status, 0, r2.stderr);

  // No trailing newline at all is fine.
  const r3 = sw(['user', 'add', 'carol', '--role', 'editor', '--data', db], { input: 'no-newline-pw', env: FAST });
  assert.equal(r3.status, 0, r3.stderr);
  assert.equal(sqlInt(db, "SELECT count(*) FROM sw_users WHERE name IN ('alice', 'bob', 'carol')"), 3);
});

test('user add without production-cost override uses the interactive Argon2id cost', () => {
  const r = sw(['user', 'add', 'dave', '--role', 'viewer', '--data', db], { input: 'dave password\n' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(sql(db, "SELECT password_hash FROM sw_users WHERE name = 'dave'"), /^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
});

test('user add refuses a missing, empty or short password, and a duplicate name', () => {
  for (const input of ['', '\n', 'short\n', 'x'.repeat(1025) + '\n']) {
    const r = sw(['user', 'add', 'erin', '--role', 'editor', '--data', db], { input, env: FAST });
    assert.equal(r.status, 1, `input of ${input.length} bytes → ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /password/);
  }
  assert.equal(sqlInt(db, "SELECT count(*) FROM sw_users WHERE name = 'erin'"), 0);

  const dup = sw(['user', 'add', 'alice', '--role', 'viewer', '--data', db], { input: 'another password\n', env: FAST });
  assert.equal(dup.status, 1);
  assert.match(dup.stderr, /exists/);
  assert.equal(sql(db, "SELECT role FROM sw_users WHERE name = 'alice'"), 'admin');
});

test('user add usage errors', () => {
  for (const args of [
    ['user', 'add', 'frank', '--role', 'superuser', '--data', db],
    ['user', 'add', 'frank', '--data', db],
    ['user', 'add', '--role', 'viewer', '--data', db],
    ['user', 'add', 'frank', 'extra', '--role', 'viewer', '--data', db],
    ['user', 'remove', 'frank', '--data', db],
    ['user', 'add', 'frank', '--role', 'viewer'],
  ]) {
    const r = sw(args, { input: 'frank password\n', env: FAST });
    assert.ok(r.status === 2 || r.status === 1, `${args.join(' ')} → ${r.status}`);
  }
  assert.equal(sw(['user', 'add', 'frank', '--role', 'superuser', '--data', db], { input: 'frank password\n' }).status, 2);
  assert.equal(sqlInt(db, "SELECT count(*) FROM sw_users WHERE name = 'frank'"), 0);
  const h = sw(['user', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /user add NAME --role ROLE/);
});
