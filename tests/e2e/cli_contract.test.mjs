// The command line as a contract (SPEC §5, issue 8 part 5): --version, help texts that agree,
// usage errors that exit 2 naming the flag, token create/list/revoke against a real daemon,
// the file outbox (smtp_url = maildir:DIR) matched message by message to the ledger, and
// `stepwise demo`: a campaign in every status, filters that do what their names say, and
// email that works out of the box (the demo's Maildir). Counts come from SQL written here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTmp, genData, writeDoc, runDoc, sw, swEnv, sql, sqlInt, lit, ROOT, BIN, NOW, track, untrack } from './lib/helpers.mjs';
import { startDaemon, closeClean, until, q, qInt } from './lib/daemon.mjs';
import { parseMime, decodeWords } from './lib/mime.mjs';

let tmp, db, doc;
const daemons = [];
before(() => {
  tmp = makeTmp('sw-cli-contract-');
  db = genData(tmp.dir, 1200, 5);
  doc = writeDoc(tmp.dir, {
    name: 'contract',
    activities: [{ id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
    transitions: [],
  });
});
after(async () => {
  for (const d of daemons) await closeClean(d);
  tmp?.cleanup();
});

test('--version and version print "stepwise X.Y.Z", the version CMakeLists.txt declares', () => {
  const declared = /project\(stepwise VERSION (\d+\.\d+\.\d+)/.exec(readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8'));
  assert.ok(declared, 'project() declares a version');
  for (const args of [['--version'], ['version']]) {
    const r = sw(args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `stepwise ${declared[1]}\n`);
  }
  assert.match(sw(['--help']).stdout, /^ {2}--version$/m, '--help mentions --version');
  assert.equal(sw(['--version', 'extra']).status, 2);
});

/** The commands section of `stepwise --help`: [{name, synopses, summary}]. */
function helpTable() {
  const r = sw(['--help']);
  assert.equal(r.status, 0);
  const section = r.stdout.split(/\ncommands:\n/)[1].split(/\n\n/)[0];
  const blocks = [];
  let cur = null;
  for (const line of section.split('\n')) {
    if (/^ {6}\S/.test(line)) {
      assert.ok(cur && !cur.summary, `a summary follows synopses: ${line}`);
      cur.summary = line.trim();
    } else if (/^ {2}\S/.test(line)) {
      if (!cur || cur.summary) blocks.push((cur = { synopses: [] }));
      cur.synopses.push(line.trim());
    } else {
      assert.fail(`unexpected line in the commands section: ${JSON.stringify(line)}`);
    }
  }
  for (const b of blocks) b.name = b.synopses[0].split(' ')[0];
  return blocks;
}

test('stepwise --help and stepwise CMD --help describe every command the same way', () => {
  const table = helpTable();
  const names = table.map((b) => b.name);
  for (const c of ['serve', 'demo', 'validate', 'run', 'resume', 'demo-data', 'token', 'user', 'version']) {
    assert.ok(names.includes(c), `${c} listed in --help`);
  }
  assert.equal(new Set(names).size, names.length, 'each command once');
  for (const b of table) {
    const r = sw([b.name, '--help']);
    assert.equal(r.status, 0, `${b.name} --help: ${r.stderr}`);
    const lines = r.stdout.split('\n');
    // usage lines: the same synopses, in the same order
    b.synopses.forEach((s, i) => {
      assert.equal(lines[i], `${i === 0 ? 'usage:' : '      '} stepwise ${s}`, `${b.name} --help line ${i + 1}`);
    });
    assert.equal(lines[b.synopses.length], '', `${b.name} --help: blank line after the usage`);
    assert.equal(lines[b.synopses.length + 1], b.summary, `${b.name} --help says what --help says`);
  }
});

test('usage errors exit 2 with a message naming the flag or argument, and make nothing', () => {
  const nodir = path.join(tmp.dir, 'never-made');
  const cases = [
    [['demo', '--dir', nodir, '--no-serve', '--listen', '127.0.0.1:99999'], /--listen/],
    [['demo', '--dir', nodir, '--no-serve', '--listen', 'no-port'], /--listen/],
    [['demo', '--dir', nodir, '--no-serve', '--profiles', 'many'], /--profiles/],
    [['demo', '--dir', nodir, '--no-serve', '--profiles'], /--profiles/],
    [['demo', '--dir', nodir, '--no-serve', '--data', db], /--data/],
    [['demo', '--dir', nodir, '--no-serve', '--smtp-url', 'localhost:25'], /--smtp-url/],
    [['demo', '--dir', nodir, '--no-serve', '--smtp-url', 'maildir:'], /--smtp-url/],
    [['demo', '--dir', nodir, '--no-serve', '--workers', '0'], /--workers/],
    [['demo', '--dir', nodir, '--no-serve', '--bogus', '1'], /--bogus/],
    [['demo', '--dir', nodir, '--no-serve', 'stray'], /stray/],
    [['serve', '--data', db, '--listen', '127.0.0.1:65536'], /--listen/],
    [['serve', '--data', db, '--sms-url', 'ftp://x'], /--sms-url/],
    [['serve', '--data', db, '--smtp-rate-per-second', '-1'], /--smtp-rate-per-second/],
    [['serve', '--data', db, '--log-level', 'loud'], /--log-level/],
    [['serve', '--data', db, '--smtp-pipelining', 'maybe'], /--smtp-pipelining/],
    [['serve', '--data', db, '--send-window-rows', '1'], /--send-window-rows/],
    [['serve', '--data', db, '--http-threads'], /--http-threads/],
    [['serve'], /--data/],
    [['run', doc, '--data', db, '--smtp-url', 'bogus'], /--smtp-url/],
    [['run', doc, '--data', db, '--push-url', 'push'], /--push-url/],
    [['run', doc, '--data', db, '--smtp-connections', '0'], /--smtp-connections/],
    [['run', doc, '--data', db, '--smtp-pipelining', 'maybe'], /--smtp-pipelining/],
    [['run', doc, '--data', db, '--send-window-rows', '100001'], /--send-window-rows/],
    [['run', doc, '--data', db, '--seed', 'x'], /--seed/],
    [['resume', 'abc', '--data', db], /RUN_ID/],
    [['validate', doc, '--json', '--bogus'], /--bogus/],
    [['demo-data', '--out', path.join(tmp.dir, 'x.db'), '--seed', '-3'], /--seed/],
    [['token', 'create', '--role', 'root', '--data', db], /--role/],
    [['token', 'create', '--data', db], /--role/],
    [['token', 'list', '--role', 'admin', '--data', db], /--role/],
    [['token', 'revoke', 'abc', '--data', db], /ID/],
    [['token', 'revoke', '--data', db], /ID/],
    [['token', 'list'], /--data/],
    [['token', 'frobnicate', '--data', db], /create/],
    [['user', 'add', 'bob', '--role', 'king', '--data', db], /--role/],
    [['version', 'extra'], /extra/],
  ];
  for (const [args, names] of cases) {
    const r = sw(args, { timeout: 20_000 });
    assert.equal(r.signal, null, args.join(' '));
    assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, names, `${args.join(' ')}: the message names what is wrong`);
    assert.doesNotMatch(r.stdout, /swt_/);
  }
  assert.equal(existsSync(nodir), false, 'a usage error makes no demo directory');
});

test('demo --smtp-url sends through that server instead of the outbox, and never prints its password', () => {
  const dir = path.join(tmp.dir, 'demo-smtp');
  const r = sw(['demo', '--dir', dir, '--profiles', '200', '--no-serve', '--smtp-url', 'smtp://alice:s3cret@127.0.0.1:2525'],
    { env: { STEPWISE_ARGON2_FAST: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /email is sent through smtp:\/\/\*\*\*@127\.0\.0\.1:2525/);
  assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  assert.doesNotMatch(r.stdout, /Maildir/);
  assert.equal(existsSync(path.join(dir, 'outbox')), false, 'no outbox made');
});

test('token create → list → use → revoke: ids, roles, times, never the secret; a revoked token gets 401', async () => {
  const d = await startDaemon({ profiles: 300 });
  daemons.push(d);
  const before = sqlInt(d.db, 'SELECT count(*) FROM sw_tokens');
  const r = sw(['token', 'create', '--role', 'viewer', '--name', 'round trip', '--data', d.db]);
  assert.equal(r.status, 0, r.stderr);
  const words = r.stdout.trim().split(/\s+/);
  const token = words[words.length - 1];
  assert.match(token, /^swt_[A-Za-z0-9_-]{43}$/, 'the token is the last word');
  const id = Number(/^token (\d+)\b/.exec(r.stdout)?.[1]);
  assert.equal(id, qInt(d.db, "SELECT id FROM sw_tokens WHERE name = 'round trip'"), 'the printed id is the row');
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_tokens'), before + 1);

  const listed = () => {
    const t = sw(['token', 'list', '--data', d.db]);
    assert.equal(t.status, 0, t.stderr);
    const j = sw(['token', 'list', '--json', '--data', d.db]);
    assert.equal(j.status, 0, j.stderr);
    for (const out of [t.stdout, j.stdout]) {
      assert.doesNotMatch(out, /swt_/, 'no token in the list');
      assert.ok(!out.includes(token.slice(4, 20)), 'no part of the secret');
      for (const h of q(d.db, 'SELECT hash FROM sw_tokens').split('\n')) assert.ok(!out.includes(h), 'no hash either');
    }
    return { text: t.stdout, rows: JSON.parse(j.stdout) };
  };
  let { text, rows } = listed();
  assert.deepEqual(rows.map((x) => x.id), q(d.db, 'SELECT id FROM sw_tokens ORDER BY id').split('\n').map(Number));
  let mine = rows.find((x) => x.id === id);
  assert.deepEqual(Object.keys(mine).sort(), ['created_at', 'id', 'last_used_at', 'name', 'role']);
  assert.equal(mine.role, 'viewer');
  assert.equal(mine.name, 'round trip');
  assert.match(mine.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(mine.created_at, new Date(qInt(d.db, `SELECT created_at FROM sw_tokens WHERE id = ${id}`)).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  assert.equal(mine.last_used_at, null);
  assert.match(text, new RegExp(`^${id}\\s+viewer\\s+\\S+Z\\s+never\\s+round trip$`, 'm'));

  // Used once against the daemon: the list shows when.
  assert.equal((await d.api('GET', '/campaigns', null, token)).status, 200);
  ({ rows } = listed());
  mine = rows.find((x) => x.id === id);
  assert.match(mine.last_used_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'last use recorded');

  const rv = sw(['token', 'revoke', String(id), '--data', d.db]);
  assert.equal(rv.status, 0, rv.stderr);
  assert.equal((await d.api('GET', '/campaigns', null, token)).status, 401, 'a revoked token stops working at once');
  ({ rows } = listed());
  assert.equal(rows.find((x) => x.id === id), undefined);
  assert.equal(rows.length, before);
  const again = sw(['token', 'revoke', String(id), '--data', d.db]);
  assert.equal(again.status, 1, 'revoking an unknown id is an error, not a usage error');
  assert.match(again.stderr, new RegExp(`${id}`));
  // A name cannot fake a line of the table.
  const fake = sw(['token', 'create', '--role', 'viewer', '--name', 'x\n999    admin   fake', '--data', d.db]);
  assert.equal(fake.status, 0, fake.stderr);
  assert.doesNotMatch(sw(['token', 'list', '--data', d.db]).stdout, /^999 /m);
  // The other tokens still work.
  assert.equal((await d.api('GET', '/campaigns', null, d.tokens.viewer)).status, 200);
});

/** The files of a Maildir's sub-directory. */
const files = (dir, sub) => (existsSync(path.join(dir, sub)) ? readdirSync(path.join(dir, sub)) : []);

/** Every message in dir/new parsed, matched one-to-one to the run's sent ledger rows by its
 * Message-ID (<run.activity.row@stepwise.invalid>) and To; returns the parsed messages. */
function matchLedger(dbPath, dir, runId) {
  assert.deepEqual(files(dir, 'tmp'), [], 'tmp/ is empty');
  assert.deepEqual(files(dir, 'cur'), [], 'nothing in cur/ (no reader yet)');
  const names = files(dir, 'new');
  for (const n of names) assert.match(n, /^\d+\.M\d{6}P\d+Q\d+\.[^/:]+$/, `Maildir unique name: ${n}`);
  const sent = new Map(
    q(dbPath, `SELECT id || '|' || address FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' ORDER BY id`)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|'))
      .map(([id, a]) => [Number(id), a]),
  );
  assert.equal(names.length, sent.size, 'one file per sent row');
  const seen = new Set();
  const out = [];
  for (const n of names) {
    const raw = readFileSync(path.join(dir, 'new', n), 'utf8');
    assert.doesNotMatch(raw.replace(/\r\n/g, ''), /[\r\n]/, `${n}: CRLF line ends only, as on the wire`);
    const m = parseMime(raw);
    const mid = /^<(\d+)\.(\d+)\.(\d+)@stepwise\.invalid>$/.exec(m.headers['message-id']);
    assert.ok(mid, `${n}: Message-ID ${m.headers['message-id']}`);
    assert.equal(Number(mid[1]), runId);
    const row = Number(mid[3]);
    assert.ok(sent.has(row), `${n}: its ledger row ${row} is sent`);
    assert.ok(!seen.has(row), `${n}: row ${row} has one message only`);
    seen.add(row);
    assert.equal(m.headers.to, sent.get(row), `${n}: To is the row's address`);
    out.push({ row, ...m });
  }
  assert.equal(seen.size, sent.size);
  return out;
}

const mailDoc = (name) => ({
  name,
  activities: [
    { id: 'fr', type: 'build_audience', filter: { all: [{ field: 'country', op: 'eq', value: 'FR' }, { field: 'email_opt_in', op: 'eq', value: true }] } },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Bonjour {{first_name | default: "ami"}}',
      text: 'Hi {{first_name | default: "ami"}}', html: '<p>Hi {{first_name | default: "ami"}}</p>' },
  ],
  transitions: [{ from: 'fr', to: 'mail' }],
});

test('stepwise run --smtp-url maildir:DIR: one complete MIME file per sent ledger row, personalized', () => {
  const box = path.join(tmp.dir, 'outbox-run');
  const { res, out } = runDoc(tmp.dir, db, mailDoc('maildir run'), ['--smtp-url', `maildir:${box}`, '--smtp-connections', '2']);
  assert.equal(res.status, 0, res.stderr);
  // Independent count: distinct non-empty addresses of opted-in French profiles.
  const want = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'FR' AND email_opt_in = 1 AND trim(coalesce(email, '')) <> ''");
  assert.ok(want > 20, `enough recipients (${want})`);
  assert.equal(out.counts.mail.out, want);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${out.run.id} AND state = 'sent'`), want);
  const msgs = matchLedger(db, box, out.run.id);
  assert.equal(msgs.length, want);
  // Personalized from the row's profile, as SQL says.
  const first = new Map(
    sql(db, `SELECT d.id || '|' || coalesce(p.first_name, 'ami') FROM sw_deliveries d JOIN profiles p ON p.id = CAST(d.recipient AS INTEGER) WHERE d.run_id = ${out.run.id} AND d.state = 'sent'`)
      .split('\n')
      .map((l) => l.split('|'))
      .map(([id, f]) => [Number(id), f]),
  );
  for (const m of msgs) {
    const name = first.get(m.row);
    assert.equal(decodeWords(m.headers.subject), `Bonjour ${name}`);
    assert.deepEqual(m.parts.map((p) => p.type), ['text/plain', 'text/html']);
    assert.equal(m.parts[0].text, `Hi ${name}`);
  }
  // A second run of the same campaign adds its own messages beside the first ones.
  const again = runDoc(tmp.dir, db, mailDoc('maildir run'), ['--smtp-url', `maildir:${box}`]);
  assert.equal(again.res.status, 0, again.res.stderr);
  assert.equal(files(box, 'new').length, 2 * want);
});

test('a Maildir that cannot be made fails the email activity with its path; nothing is sent', () => {
  const file = path.join(tmp.dir, 'plain-file');
  writeFileSync(file, 'not a directory\n');
  const { res, out } = runDoc(tmp.dir, db, mailDoc('maildir bad'), ['--smtp-url', `maildir:${file}/box`]);
  assert.equal(res.status, 1, res.stdout);
  assert.ok(`${res.stdout}${res.stderr}`.includes(`${file}/box`), `the error names the path: ${res.stdout} ${res.stderr}`);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${out.run.id} AND state = 'sent'`), 0);
});

/** `stepwise demo --listen 127.0.0.1:0` in the background: {port, stdout, stop}. */
async function startDemo(dir, args = []) {
  const proc = spawn(BIN, ['demo', '--dir', dir, '--listen', '127.0.0.1:0', ...args], {
    env: swEnv({ STEPWISE_ARGON2_FAST: '1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(proc);
  const st = { stdout: '', stderr: '' };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (s) => (st.stdout += s));
  proc.stderr.on('data', (s) => (st.stderr += s));
  const exited = new Promise((r) => proc.on('exit', (code, signal) => {
    untrack(proc);
    r({ code, signal });
  }));
  const port = await until(() => Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(st.stdout)?.[1] || 0) || (proc.exitCode !== null && Promise.reject(new Error(st.stderr))),
    { timeoutMs: 120_000, what: 'the demo listening' });
  return {
    port,
    st,
    stop: async () => {
      proc.kill('SIGTERM');
      const e = await exited;
      assert.equal(e.code, 0, `demo stopped cleanly: ${st.stderr}`);
    },
  };
}

test('stepwise demo: a campaign in every status, Birthday greetings = born this month, and the paused campaign sends to the demo outbox', async () => {
  const t = makeTmp('sw-demo-contract-');
  const dir = t.dir;
  try {
    const mk = sw(['demo', '--dir', dir, '--profiles', '3000', '--no-serve'], { env: { STEPWISE_ARGON2_FAST: '1' } });
    assert.equal(mk.status, 0, mk.stderr);
    const outbox = path.join(dir, 'outbox');
    assert.ok(mk.stdout.includes(`email is written to the Maildir ${outbox}`), mk.stdout);
    const dbPath = path.join(dir, 'demo.db');
    const statuses = q(dbPath, 'SELECT DISTINCT status FROM sw_campaigns ORDER BY status').split('\n');
    assert.deepEqual(statuses, ['completed', 'draft', 'failed', 'paused', 'running']);
    // The paused campaign has its paused run, armed for nothing else.
    assert.equal(qInt(dbPath, "SELECT count(*) FROM sw_runs r JOIN sw_campaigns c ON c.id = r.campaign_id WHERE c.status = 'paused' AND r.status = 'paused'"), 1);

    const token = sw(['token', 'create', '--role', 'admin', '--data', dbPath]).stdout.trim().split(/\s+/).pop();
    const demo = await startDemo(dir);
    const api = async (method, p, body) => {
      const r = await fetch(`http://127.0.0.1:${demo.port}/api/v1${p}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, json: await r.json().catch(() => null) };
    };
    try {
      // Birthday greetings targets the profiles born this month (the clock's, STEPWISE_NOW)
      // who accept email, counted here with SQL on the month of birth_date.
      const month = NOW.slice(5, 7);
      const bday = qInt(dbPath, "SELECT id FROM sw_campaigns WHERE name = 'Birthday greetings'");
      const sim = await api('POST', `/campaigns/${bday}/simulate`);
      assert.equal(sim.status, 200, JSON.stringify(sim.json));
      const born = sqlInt(dbPath, `SELECT count(*) FROM profiles WHERE strftime('%m', birth_date) = ${lit(month)} AND email_opt_in = 1`);
      const all = sqlInt(dbPath, 'SELECT count(*) FROM profiles');
      assert.ok(born > 0 && born < all / 6, `born in month ${month}: ${born} of ${all}`);
      assert.equal(sim.json.counts.born_this_month.out, born);

      // Resuming the paused campaign sends the welcome email into the outbox, out of the box.
      const hello = qInt(dbPath, "SELECT id FROM sw_campaigns WHERE status = 'paused'");
      const res = await api('POST', `/campaigns/${hello}/resume`);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      await until(async () => (await api('GET', `/campaigns/${hello}`)).json?.status === 'completed', { timeoutMs: 60_000, what: 'the welcome campaign completed' });
      const runId = qInt(dbPath, `SELECT id FROM sw_runs WHERE campaign_id = ${hello}`);
      const want = sqlInt(dbPath, `SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE email_opt_in = 1 AND trim(coalesce(email, '')) <> '' AND created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', ${lit(NOW)}, '-30 days')`);
      assert.ok(want > 0, 'some recent signups');
      assert.equal(qInt(dbPath, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`), want);
      const msgs = matchLedger(dbPath, outbox, runId);
      assert.ok(msgs.every((m) => /^Welcome, /.test(decodeWords(m.headers.subject))));
    } finally {
      await demo.stop();
    }
  } finally {
    t.cleanup();
  }
});
