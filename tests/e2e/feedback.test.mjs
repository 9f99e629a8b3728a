// Bounces and complaints (issue 13, part 3) through `stepwise feedback`: real messages are sent
// to a Maildir outbox, then a Postfix-shaped DSN and the RFC 5965 ARF example are rewritten
// to name one of those messages (its Message-ID, its recipient) and piped in as an MTA would.
// The address is suppressed, and the next campaign skips it; a report about nobody we sent
// to is kept, not dropped. Expectations come from SQL over profiles and the files themselves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeTmp, genData, runOk, sw, sql, sqlInt, ROOT } from './lib/helpers.mjs';

let tmp, db;
before(() => {
  tmp = makeTmp('sw-fb-');
  db = genData(tmp.dir, 200, 91);
});
after(() => tmp.cleanup());

const corpus = (name) => readFileSync(path.join(ROOT, 'tests', 'fuzz', 'corpus', 'feedback', name), 'utf8');

const mailDoc = (name) => ({
  name,
  activities: [
    { id: 'aud', type: 'build_audience', filter: { field: 'id', op: 'le', value: 60 } },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hi', text: 'Hi {{first_name}}' },
  ],
  transitions: [{ from: 'aud', to: 'mail' }],
});

/** The Message-ID and To of each message in a Maildir. */
function sentMessages(box) {
  return readdirSync(path.join(box, 'new')).map((f) => {
    const text = readFileSync(path.join(box, 'new', f), 'utf8');
    return { id: /^Message-ID: (.*)$/mi.exec(text)[1].trim(), to: /^To: (.*)$/mi.exec(text)[1].trim() };
  });
}

const feed = (text, extra = []) => sw(['feedback', '--data', db, ...extra], { input: text });

test('a hard bounce and a complaint for real sent messages suppress their addresses; the next campaign skips them', () => {
  const box = path.join(tmp.dir, 'box1');
  const first = runOk(tmp.dir, db, mailDoc('First send'), ['--smtp-url', `maildir:${box}`]);
  const sent = sentMessages(box);
  assert.equal(sent.length, first.counts.mail.out);
  const [bounced, complained] = sent;

  // Postfix's DSN, about the first message: its Message-ID in the returned headers.
  const dsn = corpus('postfix-dsn.eml')
    .replaceAll('nobody@invalid.example', bounced.to)
    .replace('<1.2.3@stepwise.invalid>', bounced.id);
  const r1 = feed(dsn);
  assert.equal(r1.status, 0, r1.stderr);
  const lines = r1.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2, 'two recipients in the report');
  const row = sqlInt(db, `SELECT id FROM sw_deliveries WHERE address = '${bounced.to}' AND state = 'sent'`);
  assert.deepEqual({ kind: lines[0].kind, delivery_id: lines[0].delivery_id, matched_by: lines[0].matched_by, suppressed: lines[0].suppressed },
    { kind: 'hard_bounce', delivery_id: row, matched_by: 'message_id', suppressed: true });
  assert.equal(lines[1].kind, 'soft_bounce');
  assert.equal(lines[1].delivery_id, null, 'full@mailbox.example got nothing from us');

  // The RFC's ARF example, rewritten to be about the second message.
  const arf = corpus('rfc5965-arf.eml')
    .replace('<user@example.com>', `<${complained.to}>`)
    .replace('Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net', `Message-ID: ${complained.id}`);
  const r2 = feed(arf);
  assert.equal(r2.status, 0, r2.stderr);
  const c = JSON.parse(r2.stdout.trim());
  assert.equal(c.kind, 'complaint');
  assert.equal(c.matched_by, 'message_id');
  assert.equal(c.suppressed, true);

  assert.equal(sql(db, `SELECT reason FROM sw_suppressions WHERE address_key = lower('${bounced.to}')`), 'hard_bounce');
  assert.equal(sql(db, `SELECT reason FROM sw_suppressions WHERE address_key = lower('${complained.to}')`), 'complaint');
  // Kept, with nothing to match: the soft bounce about a stranger (its text kept).
  assert.equal(sqlInt(db, "SELECT count(*) FROM sw_feedback WHERE delivery_id IS NULL AND address = 'full@mailbox.example' AND raw LIKE '%Mailbox full%'"), 1);

  // The next campaign skips both, with the cause.
  const box2 = path.join(tmp.dir, 'box2');
  const second = runOk(tmp.dir, db, mailDoc('Second send'), ['--smtp-url', `maildir:${box2}`]);
  const to2 = sentMessages(box2).map((m) => m.to.toLowerCase());
  assert.ok(!to2.includes(bounced.to.toLowerCase()) && !to2.includes(complained.to.toLowerCase()));
  assert.equal(to2.length, sent.length - 2);
  assert.equal(second.counts.mail.out, sent.length - 2);
  const runId = second.run.id;
  assert.equal(sql(db, `SELECT group_concat(error, '|') FROM (SELECT error FROM sw_deliveries WHERE run_id = ${runId} AND reason = 'suppressed' ORDER BY error)`),
    'suppressed: complaint|suppressed: hard_bounce');
});

test('what is not a report is refused with the reason, and nothing is recorded', () => {
  const before = sqlInt(db, 'SELECT count(*) FROM sw_feedback');
  const r = feed(corpus('plain.eml'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /multipart\/report/);
  assert.equal(feed('', ['--soft-bounce-limit', '0']).status, 2);
  assert.equal(sw(['feedback', 'extra', '--data', db], { input: '' }).status, 2);
  assert.equal(sqlInt(db, 'SELECT count(*) FROM sw_feedback'), before);
});

test('POST /feedback: a provider\'s webhook shape and a raw report, through the daemon', async () => {
  const { startDaemon, closeClean } = await import('./lib/daemon.mjs');
  const box = path.join(tmp.dir, 'box3');
  runOk(tmp.dir, db, mailDoc('Third send'), ['--smtp-url', `maildir:${box}`]);
  const [x, y] = sentMessages(box);
  const d = await startDaemon({ db, dir: tmp.dir, args: ['--soft-bounce-limit', '1'] });
  try {
    assert.equal((await d.api('POST', '/feedback', { type: 'bounce', bounce_type: 'hard', recipient: x.to }, d.tokens.viewer)).status, 403);
    const bad = await d.api('POST', '/feedback', { type: 'bounce', colour: 'red' }, d.tokens.editor);
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(bad.json.error.details.map((e) => e.path), ['$.colour']);
    const bad2 = await d.api('POST', '/feedback', { type: 'bounce', recipient: x.to }, d.tokens.editor);
    assert.equal(bad2.status, 422);
    assert.equal(bad2.json.error.details[0].path, '$.bounce_type');
    // A soft bounce with a limit of 1: suppressed at once, matched by the recipient's latest.
    const soft = await d.ok('POST', '/feedback', { type: 'bounce', bounce_type: 'soft', recipient: x.to, status: '4.2.2', diagnostic: 'mailbox full' }, d.tokens.editor);
    const latest = sqlInt(db, `SELECT id FROM sw_deliveries WHERE address_key = lower('${x.to}') AND state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1`);
    assert.deepEqual({ kind: soft.items[0].kind, delivery_id: soft.items[0].delivery_id, matched_by: soft.items[0].matched_by, suppressed: soft.items[0].suppressed },
      { kind: 'soft_bounce', delivery_id: latest, matched_by: 'recipient', suppressed: true });
    // A raw ARF report about y.
    const arf = corpus('rfc5965-arf.eml').replace('<user@example.com>', `<${y.to}>`).replace('Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net', `Message-ID: ${y.id}`);
    const c = await d.ok('POST', '/feedback', { raw: arf }, d.tokens.editor);
    assert.equal(c.items[0].kind, 'complaint');
    assert.equal(c.items[0].matched_by, 'message_id');
    const notReport = await d.api('POST', '/feedback', { raw: 'Subject: hi\n\nhello' }, d.tokens.editor);
    assert.equal(notReport.status, 422);
    assert.equal(notReport.json.error.details[0].path, '$.raw');
    const list = await d.ok('GET', '/suppressions?reason=complaint', null, d.tokens.viewer);
    assert.ok(list.items.some((s) => s.address.toLowerCase() === y.to.toLowerCase() && s.delivery_id === c.items[0].delivery_id), JSON.stringify(list.items));
  } finally {
    await closeClean(d);
  }
});
