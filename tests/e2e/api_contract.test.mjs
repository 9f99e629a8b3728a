// The API as a contract (issue 8): the served description and campaign schema are the files
// of api/, the campaign schema accepts the demo's and the tests' campaigns and refuses broken
// ones, and one convention holds everywhere: every collection pages with limit / cursor /
// next_cursor and refuses a cursor reused with other filters; 405 says Allow; a NUL byte is
// refused; an invalid value of a known parameter is a 400 naming it; times are ISO-8601 UTC;
// a run's 63-bit seed is a string; over-long URLs and headers get JSON errors. Every response
// here also goes through the OpenAPI validation of lib/contract.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, closeClean, chain, until, q, qInt } from './lib/daemon.mjs';
import { ajv, validateResponse } from './lib/contract.mjs';
import { ROOT, sw, makeTmp } from './lib/helpers.mjs';

let d, E, V, sms, smsUrl;
let cid; // a campaign with several runs, logs, tasks and deliveries
let runIds = [];
const smsSeen = [];

before(async () => {
  // An SMS provider that accepts everything: the delivery ledger gets rows.
  sms = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      smsSeen.push(body);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((r) => sms.listen(0, '127.0.0.1', r));
  smsUrl = `http://127.0.0.1:${sms.address().port}/sms`;
  d = await startDaemon({ profiles: 400, seed: 77, args: ['--sms-url', smsUrl] });
  E = d.tokens.editor;
  V = d.tokens.viewer;
  const doc = chain('Contract runs', [
    { id: 'src', type: 'build_audience', filter: { field: 'id', op: 'le', value: 12 } },
    { id: 'fr', type: 'split', segments: [{ port: 'fr', filter: { field: 'country', op: 'eq', value: 'FR' } }], complement: 'other' },
    { id: 'keep', type: 'save_audience', audience: 'contract_a' },
    { id: 'text', type: 'sms', to_field: 'phone', text: 'Hello {{first_name | default: "you"}}' },
  ]);
  // split's complement feeds the chain: keep only its "other" port in the chain.
  doc.transitions[1].port = 'other';
  cid = (await d.ok('POST', '/campaigns', doc, E)).id;
  for (let i = 0; i < 3; i++) {
    await d.ok('POST', `/campaigns/${cid}/${i === 0 ? 'start' : 'run-now'}`, null, E);
    const rid = d.lastRunId(cid);
    await d.waitRun(rid, ['completed', 'failed'], 60_000);
    runIds.push(rid);
  }
  for (const name of ['contract_b', 'contract_c']) {
    const a = await d.ok('POST', '/campaigns', chain(`Save ${name}`, [
      { id: 'src', type: 'build_audience', filter: { field: 'id', op: 'le', value: 3 } },
      { id: 'keep', type: 'save_audience', audience: name },
    ]), E);
    await d.ok('POST', `/campaigns/${a.id}/start`, null, E);
    await d.waitCampaign(a.id, ['completed'], 60_000);
  }
  for (const n of ['T one', 'T two', 'T three', 'T four']) {
    await d.ok('POST', '/templates', chain(n, [{ id: 'src', type: 'build_audience' }]), E);
  }
});
after(async () => {
  await closeClean(d);
  await new Promise((r) => sms.close(r));
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** Every page of a collection through next_cursor; returns the items in order. */
async function walk(url, limit) {
  const sep = url.includes('?') ? '&' : '?';
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const r = await d.api('GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, null, V);
    assert.equal(r.status, 200, `${url}: ${r.text}`);
    assert.ok(r.json.items.length <= limit);
    items.push(...r.json.items);
    cursor = r.json.next_cursor;
    if (!cursor) return items;
    assert.equal(r.json.items.length, limit, `${url}: a page with a next cursor is full`);
  }
  throw new Error(`${url}: no end`);
}

test('the served description and campaign schema are the files of api/, and the schema is public', async () => {
  const o = await d.api('GET', '/openapi.json');
  assert.equal(o.status, 200);
  assert.equal(o.text, readFileSync(path.join(ROOT, 'api', 'openapi.json'), 'utf8'));
  assert.equal(o.json.openapi, '3.1.0');
  const s = await d.api('GET', '/schemas/campaign.json');
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type'), /^application\/schema\+json/);
  assert.equal(s.text, readFileSync(path.join(ROOT, 'api', 'schemas', 'campaign.json'), 'utf8'));
  assert.equal(s.json.$schema, 'https://json-schema.org/draft/2020-12/schema');
  // The description refers to it, relative to where it is served.
  assert.equal(o.json.components.schemas.CampaignDocument.$ref, 'schemas/campaign.json');
});

test('the campaign schema accepts the demo and example campaigns, and refuses broken ones', async () => {
  const validate = ajv.getSchema('https://stepwise.invalid/api/v1/schemas/campaign.json');
  assert.ok(validate, 'compiled');
  const tmp = makeTmp('sw-contract-');
  try {
    const r = sw(['demo', '--dir', tmp.dir, '--no-serve', '--profiles', '300']);
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(tmp.dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 1, `demo wrote campaign files: ${readdirSync(tmp.dir)}`);
    for (const f of files) {
      const doc = JSON.parse(readFileSync(path.join(tmp.dir, f), 'utf8'));
      assert.ok(validate(doc), `${f}: ${ajv.errorsText(validate.errors)}`);
    }
    // Every campaign and template of the demo, as the API serves them (the response
    // validation checks each document against the schema too).
    const demo = await startDaemon({ db: path.join(tmp.dir, 'demo.db'), dir: tmp.dir, tokens: false });
    try {
      const tok = demo.token('viewer');
      const list = await demo.api('GET', '/campaigns?limit=500', null, tok);
      assert.ok(list.json.items.length >= 5, `demo campaigns: ${list.json.items.length}`);
      for (const c of list.json.items) {
        const one = await demo.api('GET', `/campaigns/${c.id}`, null, tok);
        assert.equal(one.status, 200);
        assert.ok(validate(one.json.document), `${c.name}: ${ajv.errorsText(validate.errors)}`);
      }
      for (const t of (await demo.api('GET', '/templates?limit=500', null, tok)).json.items) {
        const one = await demo.api('GET', `/templates/${t.id}`, null, tok);
        assert.ok(validate(one.json.document), `${t.name}: ${ajv.errorsText(validate.errors)}`);
      }
    } finally {
      await closeClean(demo);
    }
  } finally {
    tmp.cleanup();
  }
  // The examples of the fuzz corpus that are structurally valid, and the SPEC's example.
  for (const f of ['all_types.json', 'bench_pipeline.json', 'demo_winback.json']) {
    const doc = JSON.parse(readFileSync(path.join(ROOT, 'tests', 'fuzz', 'corpus', 'campaign', f), 'utf8'));
    assert.ok(validate(doc), `${f}: ${ajv.errorsText(validate.errors)}`);
  }
  const spec = readFileSync('/work/shared/SPEC.md', 'utf8').match(/## 2\. Campaign document \(JSON\)\n\n```json\n([\s\S]*?)```/);
  if (spec) assert.ok(validate(JSON.parse(spec[1])), `SPEC example: ${ajv.errorsText(validate.errors)}`);
  // Broken documents: the schema and the server both refuse them.
  const good = chain('Good', [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }]);
  assert.ok(validate(good), ajv.errorsText(validate.errors));
  const broken = [
    { ...good, colour: 'red' },
    { ...good, name: '' },
    { ...good, activities: [{ id: 'src', type: 'teleport' }] },
    { ...good, activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'equals', value: 'FR' } }] },
    { ...good, activities: [{ id: 'bad id!', type: 'build_audience' }] },
    { ...good, activities: [{ id: 'src', type: 'build_audience', unknown_option: 1 }] },
    { ...good, transitions: [{ from: 'src' }] },
    { ...good, options: { history_days: 0 } },
    (({ transitions, ...rest }) => rest)(good),
  ];
  for (const b of broken) {
    assert.ok(!validate(b), `the schema accepts ${JSON.stringify(b)}`);
    const r = await d.api('POST', '/campaigns', b, E);
    assert.equal(r.status, 422, `the server accepts ${JSON.stringify(b)}: ${r.text}`);
  }
});

test('every collection pages with limit, cursor and next_cursor, and visits each item once', async () => {
  const collections = [
    ['/campaigns?sort=name&order=asc', 50, 500],
    [`/campaigns/${cid}/runs`, 50, 500],
    [`/runs/${runIds[0]}/tasks`, 100, 500],
    [`/campaigns/${cid}/logs`, 200, 1000],
    ['/templates', 50, 500],
    ['/audiences', 100, 500],
    [`/runs/${runIds[0]}/deliveries`, 500, 5000],
  ];
  for (const [url, def, max] of collections) {
    const all = (await d.api('GET', url, null, V)).json;
    assert.ok(all.items.length >= 3, `${url}: at least 3 items to page (${all.items.length})`);
    assert.equal(all.next_cursor, null, `${url}: one page holds them all`);
    for (const limit of [1, 2]) {
      const got = await walk(url, limit);
      assert.deepEqual(got.map((x) => x.id), all.items.map((x) => x.id), `${url} by ${limit}`);
    }
    // The documented default and maximum.
    const op = url.replace(/\?.*/, '').replace(/\/\d+/g, '/{id}');
    const p = (await d.api('GET', '/openapi.json')).json.paths[op].get.parameters.find((x) => x.name === 'limit');
    assert.deepEqual([p.schema.default, p.schema.maximum], [def, max], `${op} limit`);
    const sep = url.includes('?') ? '&' : '?';
    for (const bad of [0, max + 1, 'x', -1]) {
      const r = await d.api('GET', `${url}${sep}limit=${bad}`, null, V);
      assert.equal(r.status, 400, `${url} limit=${bad}`);
      assert.equal(r.json.error.details[0].path, 'limit');
    }
    assert.equal((await d.api('GET', `${url}${sep}limit=${max}`, null, V)).status, 200);
  }
  // The ledger has one row per targeted recipient, and the provider saw the sent ones.
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${runIds[0]}`),
    (await walk(`/runs/${runIds[0]}/deliveries`, 2)).length);
  assert.ok(smsSeen.length > 0);
});

test('a cursor is refused with other filter or sort parameters, or on another collection', async () => {
  const cases = [
    ['/campaigns?sort=name&order=asc&limit=1', ['/campaigns?sort=name&order=desc&limit=1', '/campaigns?sort=created_at&order=asc', '/campaigns?sort=name&order=asc&status=draft', '/campaigns?sort=name&order=asc&q=T', '/templates']],
    [`/campaigns/${cid}/runs?limit=1`, [`/campaigns/${cid}/runs?status=completed`, `/campaigns/${cid + 1}/runs`, `/campaigns/${cid}/logs`]],
    [`/campaigns/${cid}/logs?limit=1`, [`/campaigns/${cid}/logs?level=info`, `/campaigns/${cid}/logs?run=${runIds[0]}`, `/campaigns/${cid}/logs?activity=src`]],
    [`/runs/${runIds[0]}/tasks?limit=1`, [`/runs/${runIds[1]}/tasks`, `/runs/${runIds[0]}/deliveries`]],
    ['/templates?limit=1', ['/audiences', '/campaigns']],
    ['/audiences?limit=1', ['/templates']],
    [`/runs/${runIds[0]}/deliveries?limit=1`, [`/runs/${runIds[0]}/deliveries?state=sent`, `/runs/${runIds[0]}/deliveries?activity=text`, `/runs/${runIds[1]}/deliveries`]],
  ];
  for (const [first, others] of cases) {
    const r = await d.api('GET', first, null, V);
    assert.equal(r.status, 200, r.text);
    const cursor = r.json.next_cursor;
    assert.equal(typeof cursor, 'string', `${first} has a next page`);
    // Same parameters (another limit is fine): accepted.
    const same = first.replace('limit=1', 'limit=2');
    assert.equal((await d.api('GET', `${same}&cursor=${cursor}`, null, V)).status, 200, same);
    for (const o of others) {
      const x = await d.api('GET', `${o}${o.includes('?') ? '&' : '?'}cursor=${cursor}`, null, V);
      assert.equal(x.status, 400, `${first} cursor reused on ${o}: ${x.text}`);
      assert.equal(x.json.error.code, 'INVAL');
      assert.equal(x.json.error.details[0].path, 'cursor');
    }
  }
});

test('invalid values of known parameters are 400 naming the parameter', async () => {
  const cases = [
    ['/campaigns?status=bogus', 'status'],
    ['/campaigns?status=draft,bogus', 'status'],
    ['/campaigns?sort=bogus', 'sort'],
    ['/campaigns?order=up', 'order'],
    [`/campaigns/${cid}/runs?status=bogus`, 'status'],
    [`/campaigns/${cid}/logs?level=loud`, 'level'],
    [`/campaigns/${cid}/logs?run=x`, 'run'],
    [`/campaigns/${cid}/logs?activity=${encodeURIComponent('a b')}`, 'activity'],
    [`/runs/${runIds[0]}/deliveries?state=bogus`, 'state'],
    [`/runs/${runIds[0]}/deliveries?activity=${encodeURIComponent('x/y')}`, 'activity'],
    [`/campaigns/${cid}/schedule/preview?from=soon`, 'from'],
    ['/templates?cursor=garbage', 'cursor'],
  ];
  const retry = await d.api('POST', `/runs/${runIds[0]}/activities/text/retry-failed?include_unknown=yes`, null, E);
  assert.equal(retry.status, 400, retry.text);
  assert.equal(retry.json.error.details[0].path, 'include_unknown');
  for (const [url, name] of cases) {
    const r = await d.api('GET', url, null, V);
    assert.equal(r.status, 400, `${url}: ${r.text}`);
    assert.equal(r.json.error.code, 'INVAL');
    assert.ok(r.json.error.details.some((x) => x.path === name), `${url}: ${r.text}`);
  }
});

test('one error code per condition: NOTFOUND for unknown routes and ids alike; 405 with Allow', async () => {
  for (const url of ['/nope', `/campaigns/999999`, `/runs/999999`, '/templates/999999', `/campaigns/abc`]) {
    const r = await d.api('GET', url, null, V);
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'NOTFOUND', url);
  }
  for (const [m, url, allow] of [
    ['PATCH', `/campaigns/${cid}`, 'DELETE, GET, PUT'],
    ['DELETE', '/campaigns', 'GET, POST'],
    ['GET', `/campaigns/${cid}/start`, 'POST'],
    ['PUT', '/audiences', 'GET'],
  ]) {
    const r = await d.api(m, url, m === 'PUT' ? {} : null, E);
    assert.equal(r.status, 405, `${m} ${url}`);
    assert.equal(r.json.error.code, 'METHOD_NOT_ALLOWED');
    assert.equal(r.headers.get('allow').split(', ').sort().join(', '), allow, `${m} ${url}`);
  }
});

test('a NUL byte (%00) in a path or a query value is refused, never cut', async () => {
  for (const [url, where] of [
    [`/campaigns/${cid}%00`, 'path'],
    [`/campaigns/${cid}%00abc`, 'path'],
    ['/campaigns?q=Contract%00xyz', 'q'],
    ['/campaigns?status=draft%00', 'status'],
    [`/runs/${runIds[0]}/deliveries?state=sent%00x`, 'state'],
  ]) {
    const r = await d.api('GET', url, null, V);
    assert.equal(r.status, 400, `${url}: ${r.text}`);
    assert.equal(r.json.error.code, 'INVAL');
    assert.equal(r.json.error.details[0].path, where, url);
  }
  // Before this, /campaigns/ID%00abc read as /campaigns/ID.
  assert.equal((await d.api('GET', `/campaigns/${cid}`, null, V)).status, 200);
});

test('times are ISO-8601 UTC everywhere, simulate included; a 63-bit seed is a string', async () => {
  const sim = await d.ok('POST', `/campaigns/${cid}/simulate`, null, E, 200);
  assert.ok(sim.tasks.length >= 3);
  for (const t of sim.tasks) {
    assert.match(t.started_at, ISO);
    assert.match(t.ended_at, ISO);
  }
  const seen = [];
  const check = (v, where) => {
    if (Array.isArray(v)) v.forEach((x, i) => check(x, `${where}[${i}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((/_at$/.test(k) || k === 'time') && x !== null) {
          assert.match(String(x), ISO, `${where}.${k} = ${x}`);
          seen.push(k);
        }
        if (k !== 'document') check(x, `${where}.${k}`);
      }
    }
  };
  for (const url of ['/campaigns', `/campaigns/${cid}`, `/campaigns/${cid}/runs`, `/runs/${runIds[0]}`, `/runs/${runIds[0]}/tasks`,
    `/campaigns/${cid}/logs`, '/templates', '/audiences', `/runs/${runIds[0]}/deliveries`]) {
    check((await d.api('GET', url, null, V)).json, url);
  }
  for (const k of ['created_at', 'updated_at', 'last_run_at', 'started_at', 'ended_at', 'time', 'sent_at']) {
    assert.ok(seen.includes(k), `${k} was checked`);
  }
  // A seed above 2^53 comes back exactly.
  const big = '9007199254740993';
  q(d.db, `UPDATE sw_runs SET seed = ${big} WHERE id = ${runIds[1]}`);
  const run = (await d.api('GET', `/runs/${runIds[1]}`, null, V)).json;
  assert.equal(run.seed, big);
  assert.equal(typeof (await d.api('GET', `/runs/${runIds[0]}`, null, V)).json.seed, 'string');
  const listed = (await d.api('GET', `/campaigns/${cid}/runs`, null, V)).json.items.find((r) => r.id === runIds[1]);
  assert.equal(listed.seed, big);
});

test('over-long URLs and headers get JSON errors (414, 431) as far as libmicrohttpd lets us', async () => {
  const longUrl = await d.api('GET', `/campaigns?q=${'a'.repeat(9000)}`, null, V);
  assert.equal(longUrl.status, 414);
  assert.equal(longUrl.json.error.code, 'URI_TOO_LONG');
  const bigHeader = await d.api('GET', '/campaigns', null, V, { headers: { 'X-Filler': 'b'.repeat(20000) } });
  assert.equal(bigHeader.status, 431);
  assert.equal(bigHeader.json.error.code, 'HEADERS_TOO_LARGE');
  // Beyond libmicrohttpd's per-connection memory (64 KiB) it answers by itself (HTML, see
  // the OpenAPI description); the daemon is unharmed.
  const raw = await new Promise((resolve) => {
    let got = '';
    const s = net.connect(d.port, '127.0.0.1', () => s.write(`GET /api/v1/campaigns?q=${'c'.repeat(70000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    s.on('data', (b) => (got += b));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.setTimeout(5000, () => s.destroy());
  });
  assert.match(raw, /^HTTP\/1\.1 (414|431)/);
  assert.equal((await d.api('GET', '/healthz')).status, 200);
  assert.equal((await d.api('GET', '/campaigns?limit=1', null, V)).status, 200);
});

test('the response validation can fail: an undeclared status, a body off its schema, a 405 without Allow', () => {
  const h = (o) => new Headers(o);
  const json = { 'content-type': 'application/json' };
  const page = { items: [], next_cursor: null };
  assert.equal(validateResponse('GET', '/api/v1/templates', { status: 200, json: page, text: JSON.stringify(page), headers: h(json) }), true);
  assert.throws(() => validateResponse('GET', '/api/v1/templates', { status: 418, json: page, text: '{}', headers: h(json) }), /status 418 is not declared/);
  const extra = { ...page, total: 3 };
  assert.throws(() => validateResponse('GET', '/api/v1/templates', { status: 200, json: extra, text: JSON.stringify(extra), headers: h(json) }), /does not match/);
  const run = { id: 1, campaign_id: 1, status: 'completed', trigger: 'manual', simulation: false, started_at: '2026-01-01T00:00:00Z', ended_at: null, error: null, variables: {}, seed: 12 };
  assert.throws(() => validateResponse('GET', '/api/v1/runs/1', { status: 200, json: run, text: JSON.stringify(run), headers: h(json) }), /seed must be string/);
  const err = { error: { code: 'METHOD_NOT_ALLOWED', message: 'no', details: [] } };
  assert.throws(() => validateResponse('PATCH', '/api/v1/templates', { status: 405, json: err, text: JSON.stringify(err), headers: h(json) }), /Allow/);
  const nf = { error: { code: 'NOT_FOUND', message: 'no', details: [] } };
  assert.throws(() => validateResponse('GET', '/api/v1/nope', { status: 404, json: nf, text: JSON.stringify(nf), headers: h(json) }), /does not match/);
  assert.throws(() => validateResponse('POST', '/api/v1/campaigns', { status: 201, json: null, text: '', headers: h(json) }, JSON.stringify({ name: 'x', activities: [], transitions: [], colour: 1 })), /request body/);
  assert.equal(validateResponse('GET', '/assets/app.js', { status: 200, json: null, text: '', headers: h({}) }), false, 'outside the API');
});
