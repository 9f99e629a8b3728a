// SMS, push and email delivery through `stepwise run`, against real peers: an HTTP capture
// server (lib/capture.mjs, in this process, so stepwise is spawned asynchronously) and
// Postfix's smtp-sink. Counts are compared with SQL over the generated data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, swEnv, makeTmp, genData, writeDoc, sqlInt, sql } from './lib/helpers.mjs';
import { startCapture } from './lib/capture.mjs';
import { noSink, freePort, startSink as startSinkIn, dumps, rcptOf } from './lib/sink.mjs';

let tmp, db;
const cleanups = [];

before(() => {
  tmp = makeTmp('sw-delivery-');
  db = genData(tmp.dir, 1200, 7);
});
after(async () => {
  for (const c of cleanups) await c();
  tmp.cleanup();
});

/** stepwise run --json, asynchronously (the capture server lives in this process). */
function runAsync(doc, extra = [], { env = {} } = {}) {
  const file = writeDoc(tmp.dir, doc);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(BIN, ['run', file, '--data', db, '--json', ...extra], { env: swEnv(env) });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (status, signal) => {
      let out = null;
      try {
        out = JSON.parse(stdout);
      } catch {
        out = null;
      }
      resolve({ status, signal, stdout, stderr, out, ms: Date.now() - t0 });
    });
  });
}

async function capture(script) {
  const c = await startCapture(script ? { script } : {});
  cleanups.push(() => c.close());
  return c;
}

async function startSink(extra = [], port = null) {
  const s = await startSinkIn(tmp.dir, extra, port);
  cleanups.push(() => s.stop());
  return s;
}

const where = "country = 'DE'";
const distinct = (col) => sqlInt(db, `SELECT count(DISTINCT lower(trim(${col}))) FROM profiles WHERE ${where} AND trim(coalesce(${col}, '')) <> ''`);
const missingOf = (col) => sqlInt(db, `SELECT count(*) FROM profiles WHERE ${where} AND trim(coalesce(${col}, '')) = ''`);

function smsDoc(name, extra = {}) {
  return {
    name,
    variables: { shop: 'Example' },
    activities: [
      { id: 'de', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'DE' } },
      { id: 'sms', type: 'sms', to_field: 'phone', text: 'Hallo {{first_name | default: "du"}} from {{shop}}', ...extra },
    ],
    transitions: [{ from: 'de', to: 'sms' }],
  };
}

test('SMS: one POST per distinct phone with the SPEC payload, personalized; skips and counts match SQL', async () => {
  const c = await capture();
  const r = await runAsync(smsDoc('sms ok'), ['--sms-url', c.url, '--http-connections', '4']);
  assert.equal(r.status, 0, r.stderr);
  const phones = distinct('phone');
  const missing = missingOf('phone');
  const total = sqlInt(db, `SELECT count(*) FROM profiles WHERE ${where}`);
  assert.ok(phones > 20 && missing > 0, 'the data has phones and missing phones');
  assert.equal(c.requests.length, phones);
  assert.equal(new Set(c.requests.map((q) => q.body.to.toLowerCase())).size, phones);
  assert.equal(new Set(c.requests.map((q) => q.body.message_id)).size, phones, 'message ids are unique');
  for (const q of c.requests) {
    assert.deepEqual(Object.keys(q.body).sort(), ['message_id', 'text', 'to']);
    assert.match(q.headers['content-type'], /application\/json/);
  }
  // Personalization: the text of one recipient, from SQL.
  const runId = r.out.run.id;
  const [phone, first] = sql(db, `SELECT d.address, coalesce(nullif(p.first_name, ''), 'du') FROM sw_deliveries d JOIN profiles p ON p.id = CAST(d.recipient AS INTEGER) WHERE d.run_id = ${runId} AND d.state = 'sent' ORDER BY d.id LIMIT 1`).split('|');
  const got = c.requests.find((q) => q.body.to === phone);
  assert.equal(got.body.text, `Hallo ${first} from Example`);
  assert.equal(r.out.counts.sms.out, phones);
  assert.equal(r.out.counts.sms.failed, 0);
  // Counts on the task, from the ledger.
  const task = r.out.tasks.find((t) => t.activity === 'sms');
  assert.equal(task.delivery.targeted, total);
  assert.equal(task.delivery.sent, phones);
  assert.equal(task.delivery.skipped.missing_address, missing);
  assert.equal(task.delivery.skipped.duplicate_address, total - missing - phones);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND channel = 'sms' AND state = 'sent'`), phones);
});

test('push: title, body and data rendered per recipient', async () => {
  const c = await capture();
  const doc = {
    name: 'push ok',
    activities: [
      { id: 'de', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'DE' } },
      { id: 'push', type: 'push', to_field: 'push_token', title: 'Hi {{first_name | default: "there"}}', body: 'Tier {{loyalty_tier | default: "none"}}',
        data: { deep_link: 'shop://p/{{id}}', n: 3, tags: ['{{city | default: "x"}}'] } },
    ],
    transitions: [{ from: 'de', to: 'push' }],
  };
  const r = await runAsync(doc, ['--push-url', c.url]);
  assert.equal(r.status, 0, r.stderr);
  const tokens = distinct('push_token');
  assert.ok(tokens > 10);
  assert.equal(c.requests.length, tokens);
  const [token, id, first, city] = sql(db, `SELECT d.address, p.id, coalesce(nullif(p.first_name, ''), 'there'), coalesce(nullif(p.city, ''), 'x') FROM sw_deliveries d JOIN profiles p ON p.id = CAST(d.recipient AS INTEGER) WHERE d.run_id = ${r.out.run.id} AND d.state = 'sent' ORDER BY d.id DESC LIMIT 1`).split('|');
  const got = c.requests.find((q) => q.body.to === token).body;
  assert.deepEqual(Object.keys(got).sort(), ['body', 'data', 'message_id', 'title', 'to']);
  assert.equal(got.title, `Hi ${first}`);
  assert.deepEqual(got.data, { deep_link: `shop://p/${id}`, n: 3, tags: [city] });
});

test('a provider answering 429 then 200: every message delivered once, after a retry', async () => {
  const seen = new Map();
  const c = await capture((req, body) => {
    const n = (seen.get(body.message_id) || 0) + 1;
    seen.set(body.message_id, n);
    return n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 };
  });
  const r = await runAsync(smsDoc('sms 429'), ['--sms-url', c.url]);
  assert.equal(r.status, 0, r.stderr);
  const phones = distinct('phone');
  assert.equal(seen.size, phones);
  const states = sql(db, `SELECT group_concat(state || ':' || attempts || ':' || coalesce(error, ''), ' / ') FROM sw_deliveries WHERE run_id = ${r.out.run.id} AND state <> 'skipped' AND NOT (state = 'sent' AND attempts = 2)`);
  for (const n of seen.values()) assert.equal(n, 2, `each message was posted exactly twice (429, then 200); others: ${states}`);
  const runId = r.out.run.id;
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' AND attempts = 2`), phones);
  assert.equal(r.out.counts.sms.out, phones);
});

test('other 4xx fail the rows at once; the run completes with the failed port', async () => {
  const c = await capture(() => ({ status: 400, body: '{"error":"bad number"}' }));
  const r = await runAsync(smsDoc('sms 400'), ['--sms-url', c.url]);
  assert.equal(r.status, 0, r.stderr);
  const phones = distinct('phone');
  assert.equal(c.requests.length, phones, 'no retry of a permanent error');
  assert.equal(r.out.counts.sms.out, 0);
  assert.equal(r.out.counts.sms.failed, phones);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${r.out.run.id} AND state = 'failed' AND error LIKE '%400%'`), phones);
});

test('rate_per_second spaces the messages', async () => {
  const c = await capture();
  const doc = smsDoc('sms rate', { rate_per_second: 20 });
  doc.activities[0].filter = { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 400 }] };
  const r = await runAsync(doc, ['--sms-url', c.url, '--http-connections', '8']);
  assert.equal(r.status, 0, r.stderr);
  const n = c.requests.length;
  const expected = sqlInt(db, "SELECT count(DISTINCT lower(trim(phone))) FROM profiles WHERE country = 'DE' AND id <= 400 AND trim(coalesce(phone, '')) <> ''");
  assert.equal(n, expected);
  assert.ok(n >= 20, `enough messages to measure (${n})`);
  const times = c.requests.map((q) => q.at).sort((a, b) => a - b);
  const span = (times[n - 1] - times[0]) / 1000;
  // n messages at 20/s, with a burst of at most 2: at least (n - 2) / 20 seconds.
  assert.ok(span >= (n - 2) / 20 - 0.15, `${n} messages over ${span} s at 20/s`);
});

test('the provider rate setting limits every activity', async () => {
  const c = await capture();
  const doc = smsDoc('sms provider rate');
  doc.activities[0].filter = { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 300 }] };
  const r = await runAsync(doc, ['--sms-url', c.url, '--sms-rate-per-second', '25']);
  assert.equal(r.status, 0, r.stderr);
  const n = c.requests.length;
  const times = c.requests.map((q) => q.at).sort((a, b) => a - b);
  const span = (times[n - 1] - times[0]) / 1000;
  assert.ok(n >= 15 && span >= (n - 3) / 25 - 0.15, `${n} messages over ${span} s at 25/s`);
});

test('a channel setting from the environment is checked like its flag, and the message names the variable', async () => {
  const r = await runAsync(smsDoc('sms bad env'), [], { env: { STEPWISE_SMS_RATE_PER_SECOND: 'fast' } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--sms-rate-per-second expects a positive number/);
  assert.match(r.stderr, /STEPWISE_SMS_RATE_PER_SECOND/);
  assert.equal(r.out, null, 'no run was made');
});

test('an unconfigured provider fails the run clearly, nothing sent', async () => {
  const r = await runAsync(smsDoc('sms nowhere'), [], { env: { STEPWISE_SMS_URL: '' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /sms_url .*not configured.*nothing was sent/);
});

test('confirm_before_send holds the CLI run; resume --confirm sends', { skip: noSink }, async () => {
  const sink = await startSink();
  const doc = {
    name: 'held mail',
    activities: [
      { id: 'de', type: 'build_audience', filter: { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 300 }] } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'Shop <shop@example.com>', subject: 'Hi', text: 'Hello {{first_name}}', confirm_before_send: true },
    ],
    transitions: [{ from: 'de', to: 'mail' }],
  };
  const r = await runAsync(doc, ['--smtp-url', sink.url]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /waits for a confirmation/);
  const runId = r.out.run.id;
  assert.equal(r.out.run.status, 'running');
  const expected = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'DE' AND id <= 300 AND trim(coalesce(email, '')) <> ''");
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'pending'`), expected);
  assert.equal(dumps(sink.dir).length, 0, 'nothing sent before the confirmation');
  const res = await new Promise((resolve) => {
    const p = spawn(BIN, ['resume', String(runId), '--data', db, '--smtp-url', sink.url, '--confirm', 'mail', '--json'], { env: swEnv() });
    let err = '';
    p.stderr.on('data', (b) => (err += b));
    p.on('exit', (status) => resolve({ status, err }));
  });
  assert.equal(res.status, 0, res.err);
  await new Promise((r2) => setTimeout(r2, 300));
  const rcpts = dumps(sink.dir).map(rcptOf);
  assert.equal(rcpts.length, expected);
  assert.equal(new Set(rcpts).size, expected);
  assert.equal(sql(db, `SELECT confirmed_by FROM sw_confirmations WHERE run_id = ${runId} AND activity = 'mail'`), 'cli');
  // The envelope sender is the bare address of "from".
  assert.match(dumps(sink.dir)[0], /X-Mail-Args: <shop@example\.com>/);
});

test('temporary SMTP rejections for a few seconds, then a healthy server: every message delivered once', { skip: noSink }, async () => {
  const bad = await startSink(['-r', 'rcpt']);
  const doc = {
    name: 'mail flaky',
    activities: [
      { id: 'de', type: 'build_audience', filter: { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 200 }] } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi {{first_name}}', text: 'Hello' },
    ],
    transitions: [{ from: 'de', to: 'mail' }],
  };
  const running = runAsync(doc, ['--smtp-url', bad.url, '--smtp-connections', '2']);
  await new Promise((r) => setTimeout(r, 2500));
  await bad.stop();
  const good = await startSink([], bad.port);
  const r = await running;
  assert.equal(r.status, 0, r.stderr);
  const expected = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'DE' AND id <= 200 AND trim(coalesce(email, '')) <> ''");
  await new Promise((r2) => setTimeout(r2, 300));
  const rcpts = dumps(good.dir).map(rcptOf);
  assert.equal(rcpts.length, expected, 'every address once');
  assert.equal(new Set(rcpts).size, expected);
  assert.equal(dumps(bad.dir).length, 0, 'the rejecting server accepted nothing');
  const runId = r.out.run.id;
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent' AND attempts >= 2`), expected, 'each was retried');
});

test('List-Unsubscribe from the setting, personalized, with one-click for https', { skip: noSink }, async () => {
  const sink = await startSink();
  const doc = {
    name: 'mail unsub',
    activities: [
      { id: 'one', type: 'build_audience', filter: { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 60 }] } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi', html: '<p>Hello</p>' },
    ],
    transitions: [{ from: 'one', to: 'mail' }],
  };
  const r = await runAsync(doc, ['--smtp-url', sink.url, '--list-unsubscribe', 'https://shop.example.com/u?id={{id}}']);
  assert.equal(r.status, 0, r.stderr);
  await new Promise((r2) => setTimeout(r2, 300));
  const mails = dumps(sink.dir);
  assert.ok(mails.length > 0);
  for (const m of mails) {
    const to = rcptOf(m);
    const id = sql(db, `SELECT min(id) FROM profiles WHERE lower(trim(email)) = '${to.replace(/'/g, "''")}' AND country = 'DE' AND id <= 60`);
    assert.match(m, new RegExp(`List-Unsubscribe: <https://shop\\.example\\.com/u\\?id=${id}>`));
    assert.match(m, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
  }
});

test('an SMTP server that is down for a few seconds fails nothing: every message is delivered once when it is back', { skip: noSink }, async () => {
  const port = await freePort();
  const doc = {
    name: 'mail outage',
    activities: [
      { id: 'de', type: 'build_audience', filter: { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 300 }] } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi', text: 'Hello' },
    ],
    transitions: [{ from: 'de', to: 'mail' }],
  };
  const running = runAsync(doc, ['--smtp-url', `smtp://127.0.0.1:${port}`, '--smtp-connections', '4']);
  await new Promise((r) => setTimeout(r, 4000)); // several connection failures: 1 s, 2 s, ...
  const sink = await startSink([], port);
  const r = await running;
  assert.equal(r.status, 0, r.stderr);
  const runId = r.out.run.id;
  const expected = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'DE' AND id <= 300 AND trim(coalesce(email, '')) <> ''");
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'failed'`), 0, 'an outage fails nobody');
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`), expected);
  assert.ok(sqlInt(db, `SELECT max(deferrals) FROM sw_deliveries WHERE run_id = ${runId}`) >= 2, 'the outage was waited out');
  assert.equal(sqlInt(db, `SELECT max(attempts) FROM sw_deliveries WHERE run_id = ${runId}`), 1, 'no attempt was used up');
  assert.ok(sqlInt(db, `SELECT count(*) FROM sw_logs WHERE run_id = ${runId} AND message LIKE '%could not be reached%'`) >= 1);
  await new Promise((r2) => setTimeout(r2, 300));
  const rcpts = dumps(sink.dir).map(rcptOf);
  assert.equal(rcpts.length, expected);
  assert.equal(new Set(rcpts).size, expected);
});

test('SMTP AUTH from the URL (the libcurl path): every message authenticated; a wrong password fails the rows clearly', async () => {
  const { SMTPServer } = await import('smtp-server');
  const got = [];
  const auths = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    hideSTARTTLS: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, session, cb) {
      auths.push(auth.username);
      if (auth.username === 'alice' && auth.password === 's3cret pass') return cb(null, { user: 'alice' });
      return cb(new Error('Invalid username or password'));
    },
    onRcptTo(addr, session, cb) {
      if (session.user !== 'alice') return cb(new Error('not authenticated'));
      return cb();
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        got.push({ user: session.user, rcpt: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), text: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  const port = server.server.address().port;
  const doc = {
    name: 'mail auth',
    activities: [
      { id: 'de', type: 'build_audience', filter: { all: [{ field: 'country', op: 'eq', value: 'DE' }, { field: 'id', op: 'le', value: 150 }] } },
      { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi {{first_name}}', text: 'Hello' },
    ],
    transitions: [{ from: 'de', to: 'mail' }],
  };
  const expected = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'DE' AND id <= 150 AND trim(coalesce(email, '')) <> ''");
  const r = await runAsync(doc, ['--smtp-url', `smtp://alice:s3cret%20pass@127.0.0.1:${port}`, '--smtp-connections', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.out.counts.mail.out, expected);
  assert.equal(got.length, expected);
  assert.ok(got.every((m) => m.user === 'alice'), 'every message came through an authenticated session');
  assert.equal(new Set(got.map((m) => m.rcpt[0])).size, expected, 'each address once');
  assert.ok(auths.length >= 1 && auths.length <= 2, `one login per connection (${auths.length})`);

  got.length = 0;
  const bad = { ...doc, name: 'mail auth wrong' };
  const r2 = await runAsync(bad, ['--smtp-url', `smtp://alice:wrong@127.0.0.1:${port}`, '--smtp-connections', '2']);
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(got.length, 0, 'nothing is delivered with a wrong password');
  assert.equal(r2.out.counts.mail.failed, expected);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${r2.out.run.id} AND state = 'failed' AND error LIKE '%Login denied%'`), expected);
});
