// Bad requests get a clear 4xx in the standard error shape, the daemon keeps serving, and
// nothing stored changes: malformed JSON, wrong types, huge bodies, unknown routes and
// methods, bad cursors and query parameters, ids that do not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, closeClean, q, qInt } from './lib/daemon.mjs';

let d; // default settings
let small; // --max-body 2048
let cid;
const doc = (name) => ({
  name,
  description: 'robustness',
  tags: ['r'],
  activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
  transitions: [],
});

before(async () => {
  d = await startDaemon({ profiles: 500, seed: 9 });
  small = await startDaemon({ profiles: 200, seed: 9, args: ['--max-body', '2048'] });
  cid = (await d.ok('POST', '/campaigns', doc('Keeper'))).id;
  await d.ok('POST', '/campaigns', doc('Second keeper'));
  await d.ok('POST', '/templates', doc('Template keeper'));
  await small.ok('POST', '/campaigns', doc('Small keeper'));
});
after(async () => {
  try {
    await closeClean(d);
  } finally {
    await closeClean(small);
  }
});

/** Everything stored that a bad request could change. */
function stored(dd) {
  // One sqlite3 call (several statements): the rows a bad request could touch.
  return q(
    dd.db,
    "SELECT group_concat(id || '|' || name || '|' || status || '|' || updated_at || '|' || length(document), ',') FROM (SELECT c.*, d.document FROM sw_campaigns c LEFT JOIN sw_campaign_documents d ON d.campaign_id = c.id ORDER BY c.id);" +
      "SELECT group_concat(id || '|' || name || '|' || updated_at, ',') FROM (SELECT * FROM sw_templates ORDER BY id);" +
      'SELECT count(*) FROM sw_runs; SELECT count(*) FROM sw_tasks; SELECT count(*) FROM sw_audiences;' +
      "SELECT group_concat(status || '=' || n) FROM sw_campaign_counts;",
  );
}

async function listing(dd) {
  const r = await dd.api('GET', '/campaigns?limit=500', null, dd.tokens.viewer);
  assert.equal(r.status, 200);
  return JSON.stringify(r.json);
}

/** Send a bad request; check the status, the error shape, the daemon still healthy, nothing changed. */
async function bad(dd, method, path, body, status, { auth = dd.tokens.admin, headers = {}, detailPath, code } = {}) {
  const before = stored(dd);
  const listBefore = await listing(dd);
  const r = await dd.api(method, path, body, auth, { headers });
  assert.equal(r.status, status, `${method} ${path}: expected ${status}, got ${r.status}: ${r.text.slice(0, 500)}`);
  assert.ok(r.json && r.json.error, `error body for ${method} ${path}: ${r.text.slice(0, 300)}`);
  assert.equal(typeof r.json.error.code, 'string');
  if (code) assert.equal(r.json.error.code, code);
  assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 0);
  assert.ok(Array.isArray(r.json.error.details));
  if (detailPath) {
    const paths = r.json.error.details.map((x) => x.path);
    for (const p of [].concat(detailPath)) {
      assert.ok(paths.some((x) => x === p || (x || '').startsWith(p)), `details name ${p}: ${JSON.stringify(r.json.error.details)}`);
    }
  }
  assert.match(r.headers.get('content-type') || '', /application\/json/);
  const h = await dd.api('GET', '/healthz');
  assert.equal(h.status, 200, 'the daemon keeps serving');
  assert.equal(stored(dd), before, `nothing stored changed after ${method} ${path}`);
  assert.equal(await listing(dd), listBefore);
  return r.json.error;
}

test('malformed JSON and non-object bodies: 400', async () => {
  for (const body of ['{', '{"name": "x",}', 'nope', '{"name": "a"} trailing', '', '"just a string"', '[1,2]', '42', 'null', '{"name":"a","name":"b","activities":[],"transitions":[]}', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])]) {
    for (const [m, p] of [['POST', '/campaigns'], ['PUT', `/campaigns/${cid}`], ['POST', '/templates'], ['POST', '/session']]) {
      await bad(d, m, p, body, 400);
    }
  }
  // Deeply nested JSON (well under the body limit) must not take the daemon down.
  await bad(d, 'POST', '/campaigns', '['.repeat(200_000), 400);
  await bad(d, 'POST', '/campaigns', `{"name": ${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`, 400);
  // Trigger and simulate with a bad body.
  await bad(d, 'POST', `/campaigns/${cid}/trigger`, '{"variables":', 400);
  await bad(d, 'POST', `/campaigns/${cid}/simulate`, '{oops}', 400);
});

test('wrong types and invalid documents: 422 with the JSON path of every error', async () => {
  await bad(d, 'POST', '/campaigns', { name: 5, activities: [], transitions: [] }, 422, { detailPath: '$.name' });
  await bad(d, 'POST', '/campaigns', { name: 'x', activities: 'nope', transitions: [] }, 422, { detailPath: '$.activities' });
  await bad(d, 'POST', '/campaigns', { name: 'x', activities: [], transitions: {} }, 422, { detailPath: '$.transitions' });
  await bad(d, 'POST', '/campaigns', { activities: [], transitions: [] }, 422, { detailPath: '$.name' });
  await bad(d, 'POST', '/campaigns', { ...doc('x'), tags: 'promo' }, 422, { detailPath: '$.tags' });
  await bad(d, 'POST', '/campaigns', { ...doc('x'), unknown_field: 1 }, 422, { detailPath: '$.unknown_field' });
  await bad(d, 'POST', '/campaigns', { ...doc('x'), options: { keep_interim_results: 'yes' } }, 422, { detailPath: '$.options.keep_interim_results' });
  // Several errors at once, each with its path.
  const e = await bad(
    d,
    'POST',
    '/campaigns',
    {
      name: 'x',
      activities: [
        { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'equals', value: 'FR' } },
        { id: 'bad', type: 'no_such_type' },
        { id: 'e', type: 'enrich', columns: [{ name: 'n', link: 'no_such_link', aggregate: 'count' }] },
      ],
      transitions: [{ from: 'src', to: 'e' }, { from: 'e', to: 'ghost' }],
    },
    422,
    { detailPath: ['$.activities[0].filter.op', '$.activities[1]', '$.activities[2]', '$.transitions[1]'] },
  );
  assert.ok(e.details.length >= 4, JSON.stringify(e.details));
  // A wrong type in a PUT leaves the stored definition as it was.
  await bad(d, 'PUT', `/campaigns/${cid}`, { ...doc('Keeper'), activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 7 } }] }, 422, {
    detailPath: '$.activities[0].filter',
  });
  await bad(d, 'PUT', `/campaigns/${cid}`, { ...doc('Keeper'), schedule: { rrule: 'FREQ=SOMETIMES' } }, 422, { detailPath: '$.schedule' });
  await bad(d, 'PUT', `/campaigns/${cid}`, { ...doc('Keeper'), timezone: 'Mars/Olympus' }, 422, { detailPath: '$.timezone' });
  // Variables that are not an object.
  await bad(d, 'POST', `/campaigns/${cid}/trigger`, { variables: [1] }, 422, { detailPath: '$.variables' });
  // Templates are checked for structure.
  await bad(d, 'POST', '/templates', { name: 'x', activities: 3, transitions: [] }, 422, { detailPath: '$.activities' });
});

test('a body over max_body: 413, the daemon keeps serving', async () => {
  const big = JSON.stringify({ ...doc('Too big'), description: 'x'.repeat(10 * 1024) });
  assert.ok(big.length > 10 * 1024);
  const err = await bad(small, 'POST', '/campaigns', big, 413);
  assert.match(err.message, /2048/);
  await bad(small, 'POST', '/templates', big, 413);
  await bad(small, 'POST', '/session', big, 413, { auth: null });
  // Just under the limit is accepted.
  const ok = JSON.stringify({ ...doc('Fits'), description: 'y'.repeat(1500) });
  assert.ok(ok.length < 2048);
  const r = await small.api('POST', '/campaigns', ok, small.tokens.editor);
  assert.equal(r.status, 201, r.text);
  assert.equal(qInt(small.db, "SELECT count(*) FROM sw_campaigns WHERE name = 'Fits'"), 1);
  assert.equal(qInt(small.db, "SELECT count(*) FROM sw_campaigns WHERE name = 'Too big'"), 0);
  // The default limit (1 MiB) on the other daemon: 2 MB is refused too.
  await bad(d, 'POST', '/campaigns', JSON.stringify({ ...doc('Huge'), description: 'z'.repeat(2 * 1024 * 1024) }), 413);
});

test('unknown routes: 404; wrong methods: 405; ids that do not exist: 404', async () => {
  for (const p of ['/nope', '/campaigns/1/nope', '/campaigns/1/runs/2', '/runs', '/runs/1/transitions/a/b', '/runs/1/transitions/a/b/sample/more', '/templates/1/2', '/session/x', '/']) {
    const e = await bad(d, 'GET', p, null, 404);
    assert.match(e.message, /no such route/);
  }
  await bad(d, 'GET', '/api/v2/campaigns', null, 404);
  await bad(d, 'GET', '/api/v1', null, 404);
  for (const [m, p] of [['PATCH', `/campaigns/${cid}`], ['DELETE', '/campaigns'], ['PUT', '/campaigns'], ['GET', `/campaigns/${cid}/start`], ['POST', '/dimensions']]) {
    await bad(d, m, p, null, 405);
  }
  for (const id of ['-1', '1e3', '%20', '1.0', '0x1']) {
    await bad(d, 'GET', `/campaigns/${id}`, null, 404);
    await bad(d, 'GET', `/runs/${id}`, null, 404);
  }
  for (const id of ['999999', '0', 'abc', '9223372036854775808']) {
    await bad(d, 'GET', `/campaigns/${id}`, null, 404);
    await bad(d, 'PUT', `/campaigns/${id}`, doc('ghost'), 404);
    await bad(d, 'DELETE', `/campaigns/${id}`, null, 404);
    for (const a of ['duplicate', 'start', 'run-now', 'pause', 'resume', 'stop', 'retry', 'simulate', 'trigger', 'save-as-template']) {
      await bad(d, 'POST', `/campaigns/${id}/${a}`, null, 404);
    }
    for (const sub of ['runs', 'logs', 'schedule/preview']) await bad(d, 'GET', `/campaigns/${id}/${sub}`, null, 404);
    for (const sub of ['', '/tasks', '/deliveries', '/transitions/src/out/sample']) await bad(d, 'GET', `/runs/${id}${sub}`, null, 404);
    await bad(d, 'POST', `/runs/${id}/activities/src/retry-failed`, null, 404);
    await bad(d, 'POST', `/runs/${id}/activities/src/confirm`, null, 404);
    await bad(d, 'GET', `/templates/${id}`, null, 404);
    await bad(d, 'PUT', `/templates/${id}`, doc('ghost'), 404);
    await bad(d, 'DELETE', `/templates/${id}`, null, 404);
    await bad(d, 'POST', `/templates/${id}/instantiate`, null, 404);
  }
});

test('bad list parameters: 400 naming the parameter', async () => {
  const valid = Buffer.from(JSON.stringify({ v: 1, id: 1 })).toString('base64url');
  for (const [qs, param] of [
    ['cursor=not-a-cursor!', 'cursor'],
    ['cursor=' + Buffer.from('not json').toString('base64url'), 'cursor'],
    ['cursor=' + Buffer.from('{"v": 1}').toString('base64url'), 'cursor'],
    ['cursor=' + Buffer.from('{"v": [1], "id": 2}').toString('base64url'), 'cursor'],
    ['cursor=' + Buffer.from('{"v": 1, "id": "2"}').toString('base64url'), 'cursor'],
    ['cursor=' + 'A'.repeat(5000), 'cursor'],
    ['sort=bogus', 'sort'],
    ['sort=name;DROP TABLE sw_campaigns', 'sort'],
    ['order=sideways', 'order'],
    ['limit=0', 'limit'],
    ['limit=-5', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=100000', 'limit'],
    ['limit=1.5', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=x', 'offset'],
    ['processed_from=yesterday', 'processed_from'],
    ['processed_to=2026-13-45', 'processed_to'],
    ['q=' + 'q'.repeat(300), 'q'],
  ]) {
    const e = await bad(d, 'GET', `/campaigns?${qs}`, null, 400);
    assert.ok(e.message.includes(param) || e.details.some((x) => x.path === param), `${qs}: ${JSON.stringify(e)}`);
  }
  // A cursor made by hand (no hash of the query it belongs to) is refused; one the list
  // returned still works after all that.
  await bad(d, 'GET', `/campaigns?cursor=${valid}`, null, 400, { detailPath: 'cursor' });
  const first = await d.api('GET', '/campaigns?limit=1', null, d.tokens.viewer);
  assert.equal(first.status, 200, first.text);
  assert.equal(typeof first.json.next_cursor, 'string');
  const r = await d.api('GET', `/campaigns?limit=1&cursor=${first.json.next_cursor}`, null, d.tokens.viewer);
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.items[0].id, first.json.items[0].id);
  // Other endpoints' parameters.
  await bad(d, 'GET', `/campaigns/${cid}/logs?limit=0`, null, 400);
  await bad(d, 'GET', `/campaigns/${cid}/logs?run=abc`, null, 400);
  await bad(d, 'GET', `/campaigns/${cid}/schedule/preview?from=tomorrow`, null, 400);
  // Search text that looks like SQL or FTS syntax is just text.
  for (const text of ["' OR 1=1 --", 'name:Keeper', 'NEAR(a b)', '"unbalanced', '*', 'Keep*', 'AND OR NOT']) {
    const s = await d.api('GET', `/campaigns?q=${encodeURIComponent(text)}`, null, d.tokens.viewer);
    assert.equal(s.status, 200, `${text}: ${s.text}`);
    assert.equal(s.json.total, 0, text);
  }
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_campaigns'), 2);
});

test('a raw garbage request and a dropped connection do not hurt the daemon', async () => {
  const before = stored(d);
  const send = (payload) =>
    new Promise((resolve) => {
      const s = net.connect(d.port, '127.0.0.1', () => {
        s.write(payload);
        setTimeout(() => s.destroy(), 200);
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.setTimeout(5000, () => s.destroy());
    });
  await send('GARBAGE\r\n\r\n');
  await send('POST /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"name":');
  await send(`GET /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'A'.repeat(20000)}\r\n\r\n`);
  await send('\x00\x01\x02\x03');
  assert.equal((await d.api('GET', '/healthz')).status, 200);
  assert.equal((await d.api('GET', '/campaigns', null, d.tokens.viewer)).status, 200);
  assert.equal(stored(d), before);
});
