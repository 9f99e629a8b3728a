// Every documented route answers: the OpenAPI document lists every route of SPEC §4, and each
// of its operations, called with an admin token and ids that do not exist, is routed (no "no
// such route", no 405) and does not fail with a 5xx. Plus /healthz and the Prometheus /metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, chain, qInt } from './lib/daemon.mjs';

let d;
before(async () => {
  d = await startDaemon({ profiles: 300, seed: 8 });
});
after(async () => {
  await closeClean(d);
});

// SPEC §4, route by route (relative to /api/v1).
const SPEC_ROUTES = [
  'GET /campaigns',
  'POST /campaigns',
  'GET /campaigns/{id}',
  'PUT /campaigns/{id}',
  'DELETE /campaigns/{id}',
  'POST /campaigns/{id}/duplicate',
  'POST /campaigns/{id}/start',
  'POST /campaigns/{id}/run-now',
  'POST /campaigns/{id}/pause',
  'POST /campaigns/{id}/resume',
  'POST /campaigns/{id}/stop',
  'POST /campaigns/{id}/retry',
  'POST /campaigns/{id}/simulate',
  'POST /campaigns/{id}/trigger',
  'GET /campaigns/{id}/schedule/preview',
  'GET /runs/{id}/transitions/{from}/{port}/sample',
  'GET /runs/{id}/deliveries',
  'POST /runs/{id}/activities/{aid}/retry-failed',
  'POST /runs/{id}/activities/{aid}/confirm',
  'GET /campaigns/{id}/runs',
  'GET /runs/{id}',
  'GET /runs/{id}/tasks',
  'GET /campaigns/{id}/logs',
  'GET /templates',
  'POST /templates',
  'GET /templates/{id}',
  'PUT /templates/{id}',
  'DELETE /templates/{id}',
  'POST /campaigns/{id}/save-as-template',
  'POST /templates/{id}/instantiate',
  'GET /dimensions',
  'GET /audiences',
  'GET /healthz',
  'GET /metrics',
  'POST /session',
  'DELETE /session',
];

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

// Path templates with a placeholder name other than {id} are normalised for comparison.
const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');

test('the OpenAPI document lists every route of the spec, with its path parameters', async () => {
  const r = await d.api('GET', '/openapi.json');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/json/);
  const doc = r.json;
  assert.match(doc.openapi, /^3\./);
  assert.ok(doc.info && doc.info.title && doc.info.version);
  assert.ok(doc.paths && typeof doc.paths === 'object');
  const listed = new Set();
  const deref = (x) => (x.$ref ? x.$ref.slice(2).split('/').reduce((o, k) => o[k], doc) : x);
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue; // path-item "parameters"
      listed.add(`${method.toUpperCase()} ${norm(p)}`);
      const names = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const params = [...(item.parameters || []), ...(op.parameters || [])].map(deref).filter((x) => x.in === 'path').map((x) => x.name);
      assert.deepEqual(params.sort(), names.sort(), `path parameters of ${method} ${p}`);
      assert.ok(op.responses, `${method} ${p} has responses`);
    }
  }
  const missing = SPEC_ROUTES.filter((s) => {
    const [m, p] = s.split(' ');
    return !listed.has(`${m} ${norm(p)}`);
  });
  assert.deepEqual(missing, [], 'routes of SPEC §4 missing from the OpenAPI document');
});

test('every operation of the OpenAPI document is routed and answers without a 5xx', async () => {
  const doc = (await d.api('GET', '/openapi.json')).json;
  const before = qInt(d.db, 'SELECT count(*) FROM sw_campaigns') + qInt(d.db, 'SELECT count(*) FROM sw_templates');
  const fake = { id: '987654', from: 'src', port: 'out', aid: 'src' };
  const results = [];
  let n = 0;
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item).filter((m) => METHODS.includes(m))) {
      // An event stream never ends: its own tests read it.
      if (item[method].responses['200']?.content?.['text/event-stream']) continue;
      const path = p.replace(/\{([^}]+)\}/g, (_, k) => fake[k] ?? 'x');
      // A body where one is read: an empty object (fails validation, never creates anything).
      const body = ['post', 'put'].includes(method) ? {} : null;
      const res = await d.api(method.toUpperCase(), `/api/v1${path}`, body, d.tokens.admin);
      n++;
      const msg = res.json && res.json.error ? res.json.error.message : '';
      results.push(`${method.toUpperCase()} ${path} → ${res.status} ${msg}`);
      assert.ok(!(res.status === 404 && /no such route/.test(msg)), `${method} ${path} is not routed: ${res.text}`);
      assert.notEqual(res.status, 405, `${method} ${path}: method not allowed`);
      assert.ok(res.status < 500, `${method} ${path}: ${res.status} ${res.text}`);
      if (res.status >= 400) {
        assert.ok(res.json && res.json.error && typeof res.json.error.code === 'string', `${method} ${path}: error shape ${res.text}`);
      }
    }
  }
  assert.ok(n >= SPEC_ROUTES.length - 2, `only ${n} operations`);
  const after1 = qInt(d.db, 'SELECT count(*) FROM sw_campaigns') + qInt(d.db, 'SELECT count(*) FROM sw_templates');
  assert.equal(after1, before, `fake calls created nothing:\n${results.join('\n')}`);
  // Health on both paths.
  for (const p of ['/healthz', '/api/v1/healthz']) {
    const h = await d.api('GET', p);
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'ok');
  }
});

function parseProm(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[3]) for (const kv of m[3].matchAll(/(\w+)="([^"]*)"/g)) labels[kv[1]] = kv[2];
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

test('metrics: Prometheus text with runs by status and the request latency histogram', async () => {
  // Some runs to count: two completed, one failed.
  const E = d.tokens.editor;
  for (const [name, act] of [
    ['Metric ok 1', { id: 's', type: 'build_audience' }],
    ['Metric ok 2', { id: 's', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
    ['Metric fail', { id: 's', type: 'read_audience', audience: 'metrics_missing' }],
  ]) {
    const c = await d.ok('POST', '/campaigns', chain(name, [act]), E);
    await d.ok('POST', `/campaigns/${c.id}/start`, null, E);
    await d.waitCampaign(c.id, ['completed', 'failed'], 20_000);
  }
  const m1 = await d.api('GET', '/metrics');
  assert.equal(m1.status, 200);
  assert.match(m1.headers.get('content-type'), /^text\/plain/);
  assert.match(m1.text, /^# TYPE stepwise_runs gauge$/m);
  assert.match(m1.text, /^# TYPE stepwise_http_request_duration_seconds histogram$/m);
  const s1 = parseProm(m1.text);
  const get = (s, name, labels = {}) =>
    s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  for (const status of ['completed', 'failed']) {
    const want = qInt(d.db, `SELECT count(*) FROM sw_runs WHERE status = '${status}'`);
    const got = get(s1, 'stepwise_runs', { status });
    assert.equal(got.length, 1, `stepwise_runs{status="${status}"}`);
    assert.equal(got[0].value, want, `stepwise_runs{status="${status}"}`);
  }
  for (const status of ['completed', 'failed']) {
    const got = get(s1, 'stepwise_campaigns', { status });
    assert.equal(got[0]?.value, qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE status = '${status}'`), `stepwise_campaigns{status="${status}"}`);
  }
  // The histogram: cumulative buckets, +Inf = count, sum > 0.
  const buckets = get(s1, 'stepwise_http_request_duration_seconds_bucket');
  assert.ok(buckets.length >= 5);
  const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(les[i] > les[i - 1], 'bucket bounds increase');
    assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets are cumulative');
  }
  assert.equal(les[les.length - 1], Infinity);
  const count1 = get(s1, 'stepwise_http_request_duration_seconds_count')[0].value;
  assert.equal(buckets[buckets.length - 1].value, count1);
  assert.ok(get(s1, 'stepwise_http_request_duration_seconds_sum')[0].value > 0);
  // It counts requests: 5 more (and the /metrics call itself) are seen by the next scrape.
  for (let i = 0; i < 5; i++) await d.api('GET', '/healthz');
  const s2 = parseProm((await d.api('GET', '/api/v1/metrics')).text);
  const count2 = get(s2, 'stepwise_http_request_duration_seconds_count')[0].value;
  assert.ok(count2 >= count1 + 6, `${count1} → ${count2}`);
  assert.equal(get(s2, 'stepwise_http_errors_total')[0]?.value, 0, 'no 5xx so far');
});
