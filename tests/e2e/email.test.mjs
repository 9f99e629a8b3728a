// Email delivery through a real SMTP peer: Postfix's smtp-sink (lib/sink.mjs), started here on
// a free loopback port with a dump directory. Every count is compared with SQL over the data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { makeTmp, genData, runDoc, sqlInt, sql } from './lib/helpers.mjs';
import { noSink as skip, startSink as startSinkIn, dumps } from './lib/sink.mjs';

let tmp, db;
const sinks = [];

before(() => {
  tmp = makeTmp('sw-email-');
  db = genData(tmp.dir, 1500, 11);
});
after(async () => {
  for (const s of sinks) await s.stop();
  tmp.cleanup();
});

async function startSink(extra = []) {
  const s = await startSinkIn(tmp.dir, extra);
  sinks.push(s);
  return s;
}

/** A strict reader of the messages we send: headers (unfolded), multipart/alternative parts,
 * quoted-printable bodies decoded as UTF-8. Throws on anything malformed. */
function parseMime(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const split = (t) => {
    const i = t.indexOf('\n\n');
    if (i < 0) throw new Error('no blank line after the headers');
    const headers = {};
    for (const line of t.slice(0, i).replace(/\n[ \t]+/g, ' ').split('\n')) {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (!m) throw new Error(`bad header line ${JSON.stringify(line)}`);
      headers[m[1].toLowerCase()] = m[2];
    }
    return { headers, body: t.slice(i + 2) };
  };
  const qp = (b) => {
    const bytes = [];
    const s2 = b.replace(/=\n/g, '');
    for (let i = 0; i < s2.length; i++) {
      if (s2[i] === '=') {
        if (!/^[0-9A-F]{2}$/.test(s2.slice(i + 1, i + 3))) throw new Error(`bad quoted-printable at ${i}`);
        bytes.push(parseInt(s2.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(s2[i], 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  };
  const top = split(text);
  if (top.headers['mime-version'] !== '1.0') throw new Error('no MIME-Version: 1.0');
  const ct = /^multipart\/alternative;\s*boundary="([^"]+)"$/.exec(top.headers['content-type'] || '');
  if (!ct) throw new Error(`not multipart/alternative: ${top.headers['content-type']}`);
  const chunks = top.body.split(`--${ct[1]}`);
  if (!chunks[chunks.length - 1].startsWith('--')) throw new Error('no closing boundary');
  return chunks.slice(1, -1).map((c) => {
    const p = split(c.replace(/^\n/, ''));
    const m = /^(text\/(?:plain|html));\s*charset=([\w-]+)$/i.exec(p.headers['content-type'] || '');
    if (!m) throw new Error(`bad part type ${p.headers['content-type']}`);
    if ((p.headers['content-transfer-encoding'] || '').toLowerCase() !== 'quoted-printable') throw new Error('not quoted-printable');
    return { type: m[1].toLowerCase(), charset: m[2].toLowerCase(), text: qp(p.body.replace(/\n$/, '')) };
  });
}

const doc = (name) => ({
  name,
  activities: [
    { id: 'fr', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } },
    { id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Bonjour {{first_name | default: "ami"}}',
      html: '<p>{{first_name}} &amp; co</p>', text: 'Hi {{first_name}}' },
    { id: 'after', type: 'end' },
  ],
  transitions: [{ from: 'fr', to: 'mail' }, { from: 'mail', to: 'after' }],
});

test('every address gets exactly one personalized message; skips are recorded with reasons', { skip }, async () => {
  const sink = await startSink();
  const { res, out } = runDoc(tmp.dir, db, doc('mail ok'), ['--smtp-url', sink.url, '--smtp-connections', '4']);
  assert.equal(res.status, 0, res.stderr);
  const addresses = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'FR' AND trim(coalesce(email, '')) <> ''");
  const missing = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR' AND trim(coalesce(email, '')) = ''");
  const fr = sqlInt(db, "SELECT count(*) FROM profiles WHERE country = 'FR'");
  assert.ok(addresses > 50 && missing > 0 && fr - missing > addresses, 'the data has missing and duplicate addresses');
  assert.equal(out.counts.mail.out, addresses);
  assert.equal(out.counts.mail.failed, 0);
  // The sink writes a file per message: one per address, never two.
  await new Promise((r) => setTimeout(r, 300));
  const files = dumps(sink.dir);
  assert.equal(files.length, addresses);
  const rcpts = files.map((f) => /X-Rcpt-Args: <([^>]*)>/.exec(f)[1].toLowerCase());
  assert.equal(new Set(rcpts).size, addresses);
  // Subject personalized from first_name (as SQL says), MIME multipart/alternative.
  const runId = out.run.id;
  const someone = sql(db, `SELECT d.address || '|' || coalesce(p.first_name, 'ami') FROM sw_deliveries d JOIN profiles p ON p.id = CAST(d.recipient AS INTEGER) WHERE d.run_id = ${runId} AND d.state = 'sent' ORDER BY d.id LIMIT 1`).split('|');
  const mail = files.find((f) => f.includes(`X-Rcpt-Args: <${someone[0]}>`));
  assert.ok(mail, 'the first recipient has a message');
  const subj = /^Subject: (.*)$/m.exec(mail)[1].trim();
  const decoded = subj.startsWith('=?UTF-8?B?') ? Buffer.from(subj.slice(10, -2), 'base64').toString('utf8') : subj;
  assert.equal(decoded, `Bonjour ${someone[1]}`);
  assert.match(mail, /Content-Type: multipart\/alternative/);
  // Every message parses as MIME and its decoded parts are the personalized bodies.
  const first = sql(db, `SELECT coalesce(p.first_name, '') FROM sw_deliveries d JOIN profiles p ON p.id = CAST(d.recipient AS INTEGER) WHERE d.run_id = ${runId} AND d.state = 'sent' ORDER BY d.id LIMIT 1`);
  const esc = (x) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const parts = parseMime(mail);
  assert.deepEqual(parts.map((x) => x.type), ['text/plain', 'text/html']);
  assert.equal(parts[0].text, `Hi ${first}`);
  assert.equal(parts[1].text, `<p>${esc(first)} &amp; co</p>`);
  for (const f of files) {
    const ps = parseMime(f);
    assert.equal(ps.length, 2, 'two alternatives in every message');
    assert.ok(ps.every((x) => x.charset === 'utf-8'));
  }
  assert.match(mail, /Message-ID: <\d+\.\d+\.\d+@stepwise\.invalid>/);
  // The ledger says who was skipped and why.
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND reason = 'missing_address'`), missing);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND reason = 'duplicate_address'`), fr - missing - addresses);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`), addresses);
});

test('a permanent rejection fails the rows, the run completes with the failed port', { skip }, async () => {
  const sink = await startSink(['-f', 'data']);
  const { res, out } = runDoc(tmp.dir, db, doc('mail rejected'), ['--smtp-url', sink.url]);
  assert.equal(res.status, 0, res.stderr);
  const addresses = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'FR' AND trim(coalesce(email, '')) <> ''");
  assert.equal(out.counts.mail.out, 0);
  assert.equal(out.counts.mail.failed, addresses);
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${out.run.id} AND state = 'failed' AND error LIKE '%SMTP 5%'`), addresses);
  assert.equal(dumps(sink.dir).length, 0);
});

test('kill -9 in the middle of a send, then resume: no address gets two messages, nobody is lost silently', { skip }, async () => {
  // Each DATA waits 1 s at the sink: with one connection the run sends about one message a
  // second, so the kill lands mid-send.
  const sink = await startSink(['-w', '1']);
  const small = doc('mail killed');
  small.activities[0].filter = { all: [{ field: 'country', op: 'eq', value: 'FR' }, { field: 'id', op: 'le', value: 300 }] };
  const file = path.join(tmp.dir, 'killed.json');
  (await import('node:fs')).writeFileSync(file, JSON.stringify(small));
  const { BIN, swEnv } = await import('./lib/helpers.mjs');
  const child = spawn(BIN, ['run', file, '--data', db, '--smtp-url', sink.url, '--smtp-connections', '1', '--json'], { env: swEnv(), stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let runId = 0;
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      runId = sqlInt(db, "SELECT coalesce(max(r.id), 0) FROM sw_runs r JOIN sw_campaigns c ON c.id = r.campaign_id WHERE c.name = 'mail killed'");
      if (runId && sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`) >= 2) break;
    } catch {
      /* busy */
    }
  }
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');
  const sentBefore = sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  assert.ok(sentBefore >= 2, 'the kill landed after some messages were sent');
  const { sw: run } = await import('./lib/helpers.mjs');
  const res = run(['resume', String(runId), '--data', db, '--smtp-url', sink.url, '--json'], { timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  await new Promise((r) => setTimeout(r, 300));
  const files = dumps(sink.dir);
  const rcpts = files.map((f) => /X-Rcpt-Args: <([^>]*)>/.exec(f)[1].toLowerCase());
  // No address received two messages.
  assert.equal(new Set(rcpts).size, rcpts.length, 'no duplicates');
  // Every address is accounted for: sent (and received), or unknown (cut mid-send), never pending.
  const sent = sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'sent'`);
  const unknown = sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state = 'unknown'`);
  const addresses = sqlInt(db, "SELECT count(DISTINCT lower(trim(email))) FROM profiles WHERE country = 'FR' AND id <= 300 AND trim(coalesce(email, '')) <> ''");
  assert.equal(sqlInt(db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runId} AND state IN ('pending', 'sending')`), 0);
  assert.equal(sent + unknown, addresses);
  // A crash can cut at most one send window: max(32 x connections, 64) rows marked sending.
  assert.ok(unknown <= 64, `at most one window is unknown (${unknown})`);
  // What the sink received is what the ledger says was sent, give or take the unknown ones.
  assert.ok(rcpts.length >= sent && rcpts.length <= sent + unknown);
});
