// The release build (make build) has no test-only settings: nothing lowers its password-hash
// cost. make check runs this with STEPWISE_RELEASE_BIN set to the release binary (the other
// e2e tests drive the ASan build, which has them: CMake's SW_TEST_HOOKS); without it, the
// tests are skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTmp, genData, swEnv, sql } from './lib/helpers.mjs';

const RELEASE = process.env.STEPWISE_RELEASE_BIN;
const skip = RELEASE ? false : 'STEPWISE_RELEASE_BIN is not set (make check sets it)';

let cleanup, tmp, db;
before(() => {
  ({ dir: tmp, cleanup } = makeTmp());
  db = genData(tmp, 20, 1);
});
after(() => cleanup?.());

function release(args, { env = {}, input } = {}) {
  return spawnSync(RELEASE, args, { env: swEnv(env), encoding: 'utf8', input, timeout: 60_000 });
}

test('STEPWISE_ARGON2_FAST does not lower the cost of a password set by user add', { skip }, () => {
  const r = release(['user', 'add', 'carol', '--role', 'viewer', '--data', db],
    { env: { STEPWISE_ARGON2_FAST: '1' }, input: 'a long enough password\n' });
  assert.equal(r.status, 0, r.stderr);
  const hash = sql(db, "SELECT password_hash FROM sw_users WHERE name = 'carol'");
  assert.match(hash, /^\$argon2id\$v=19\$m=65536,t=2,/);
});

test('the daemon has no argon2_fast setting: flag and config line refused', { skip }, () => {
  const flag = release(['serve', '--data', db, '--listen', '127.0.0.1:0', '--argon2-fast', 'on']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /unknown option "--argon2-fast"/);
  const conf = path.join(tmp, 'stepwise.conf');
  writeFileSync(conf, 'argon2_fast = on\n');
  const line = release(['serve', '--data', db, '--listen', '127.0.0.1:0', '--config', conf]);
  assert.equal(line.status, 1);
  assert.match(line.stderr, /unknown setting "argon2_fast"/);
  const help = release(['serve', '--help']);
  assert.equal(help.status, 0);
  assert.doesNotMatch(help.stdout, /argon2/);
});
