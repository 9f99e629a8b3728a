// GET /campaigns: search, filters, sort on every column in both orders, cursor and offset
// paging, totals. About thirty campaigns are created through the API and brought to their
// statuses by real actions (start, pause, a failing run, a simulation, delete, edit). The one
// thing set directly with sqlite3 is the time of a few runs (moved weeks into the past) so
// that processed_from/processed_to have something to tell apart: all real runs happen within
// seconds of each other. Every expectation is computed here, in JS, from what the test
// created and from the catalog's raw rows (times), never from the list endpoint itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, until, q, qInt, qRows } from './lib/daemon.mjs';

let d;
let V; // viewer token: the list is a read
const model = new Map(); // id -> {id, name, description, campaign, tags, dimension, status}

const docFor = (m) => {
  const base = { name: m.name };
  if (m.description !== undefined) base.description = m.description;
  if (m.campaign !== undefined) base.campaign = m.campaign;
  if (m.tags !== undefined) base.tags = m.tags;
  if (m.dim === 'orders') {
    base.targeting_dimension = 'orders';
    base.activities = [{ id: 'src', type: 'build_audience', filter: { field: 'amount', op: 'gt', value: 100 } }];
  } else if (m.kind === 'failed') {
    base.activities = [{ id: 'src', type: 'read_audience', audience: 'list_test_missing' }];
  } else {
    base.activities = [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }];
  }
  base.transitions = [];
  if (m.at) {
    base.timezone = 'UTC';
    base.schedule = { at: m.at };
  }
  return base;
};

// name, description, parent campaign, tags, dimension, target status (by real actions).
const SPECS = [
  { name: 'Spring Win-back FR', description: 'Lapsed buyers in France', campaign: 'Spring 2027', tags: ['retention'], kind: 'completed' },
  { name: 'spring newsletter', description: 'Weekly news', campaign: 'Spring 2027', tags: ['promo'], kind: 'draft' },
  { name: 'SPRING clearance', description: null, campaign: 'Spring 2027', tags: ['promo', 'vip'], kind: 'failed' },
  { name: 'Summer SALE', description: 'Big summer discounts', campaign: 'Summer 2027', tags: ['promo'], kind: 'completed' },
  { name: 'summer teaser', description: 'Before the sale', campaign: 'Summer 2027', tags: [], kind: 'running', at: '2027-05-01T09:00:00' },
  { name: 'Black Friday', description: 'Deals for VIP customers', campaign: 'Autumn 2027', tags: ['vip', 'promo'], kind: 'paused', at: '2027-11-26T08:00:00' },
  { name: 'Cyber Monday', description: 'Online deals', campaign: 'Autumn 2027', tags: ['promo'], kind: 'running', at: '2027-11-29T08:00:00' },
  { name: 'Welcome series', description: 'Onboarding for new sign-ups', tags: ['onboarding'], kind: 'completed' },
  { name: 'Birthday wishes', description: 'Annual birthday greeting', tags: ['retention'], kind: 'draft' },
  { name: 'Order follow-up', description: 'After each big order', dim: 'orders', tags: ['transactional'], kind: 'completed' },
  { name: 'Order review ask', description: 'Ask for a review', dim: 'orders', kind: 'draft' },
  { name: 'Été soldes', description: 'Soldes d’été en France', campaign: 'Summer 2027', tags: ['promo'], kind: 'draft' },
  { name: 'ab test subject', description: 'Subject line A/B', tags: ['test'], kind: 'draft' },
  { name: 'Reactivation', description: 'Win back dormant profiles', campaign: 'Spring 2027', tags: ['retention', 'vip'], kind: 'failed' },
  { name: 'VIP early access', description: 'Early access for the best customers', tags: ['vip'], kind: 'running', at: '2027-02-14T10:00:00' },
  { name: 'Loyalty points', description: 'Points reminder', tags: ['retention'], kind: 'completed' },
  { name: 'Say "hi" now', description: 'Quotes in a name', tags: [], kind: 'draft' },
  { name: '100% off nothing', description: 'Percent signs and under_scores', tags: ['test'], kind: 'draft' },
  { name: 'Cart abandonment', description: 'Items left in the cart', tags: ['transactional'], kind: 'completed', dim: 'orders' },
  { name: 'Winter warmers', description: 'Cold weather picks', campaign: 'Winter 2027', tags: ['promo'], kind: 'paused', at: '2027-12-01T07:30:00' },
  { name: 'Winter gift guide', description: 'Gift ideas', campaign: 'Winter 2027', tags: ['promo', 'vip'], kind: 'draft' },
  { name: 'NPS survey', description: 'How likely are you to recommend us', tags: ['survey'], kind: 'completed' },
  { name: 'Re-permission', description: 'Consent refresh for old sign-ups', tags: ['compliance'], kind: 'draft' },
  { name: 'Price drop alert', description: 'Wishlist items on sale', dim: 'orders', tags: ['promo'], kind: 'running', at: '2027-01-10T06:00:00' },
  { name: 'zz last alphabetically', description: 'Ends the list', kind: 'draft' },
  { name: 'Anniversary', description: null, tags: ['retention'], kind: 'draft' },
  { name: 'to delete one', description: 'will be deleted', tags: ['promo'], kind: 'draft', del: true },
  { name: 'to delete two', description: 'will be deleted', tags: ['vip'], kind: 'completed', del: true },
  { name: 'renamed later', description: 'old description', tags: ['old-tag'], kind: 'draft', rename: true },
];

const ids = {}; // name -> id (final names)
let shifted; // campaign id -> shifted run times
let simId;

async function act(id, what) {
  const r = await d.api('POST', `/campaigns/${id}/${what}`, null, d.tokens.editor);
  assert.equal(r.status, 200, `${what} ${id}: ${r.text}`);
  return r.json;
}

before(async () => {
  d = await startDaemon({ profiles: 1000, seed: 5 });
  V = d.tokens.viewer;
  for (const s of SPECS) {
    const r = await d.api('POST', '/campaigns', docFor(s), d.tokens.editor);
    assert.equal(r.status, 201, `${s.name}: ${r.text}`);
    const m = {
      id: r.json.id,
      name: s.name,
      description: s.description ?? null,
      campaign: s.campaign ?? null,
      tags: s.tags ?? [],
      dimension: s.dim || 'profiles',
      status: 'draft',
      spec: s,
    };
    model.set(m.id, m);
    ids[s.name] = m.id;
  }
  // Statuses through real actions.
  const runs = [];
  for (const m of model.values()) {
    const k = m.spec.kind;
    if (k === 'completed' || k === 'failed') {
      await act(m.id, 'start');
      runs.push([m, k]);
    } else if (k === 'running' || k === 'paused') {
      const s = await act(m.id, 'start');
      assert.equal(s.status, 'running');
      assert.ok(s.next_run_at, 'armed');
      if (k === 'paused') assert.equal((await act(m.id, 'pause')).status, 'paused');
    }
    m.status = k;
  }
  for (const [m, k] of runs) await d.waitCampaign(m.id, k, 20_000);
  // A second run for one campaign (run-now from completed).
  await act(ids['Spring Win-back FR'], 'run-now');
  await d.waitCampaign(ids['Spring Win-back FR'], 'completed', 20_000);
  await until(() => qInt(d.db, "SELECT count(*) FROM sw_runs WHERE status IN ('running', 'paused')") === 0, { what: 'runs to end' });
  // A simulation of a draft: a run row with simulation = 1 (must not count as processed).
  simId = ids['Birthday wishes'];
  const sim = await d.api('POST', `/campaigns/${simId}/simulate`, null, d.tokens.editor);
  assert.equal(sim.status, 200, sim.text);
  // Deletes and an edit (exercise the triggers behind search, tags and counts).
  for (const m of [...model.values()]) {
    if (m.spec.del) {
      const r = await d.api('DELETE', `/campaigns/${m.id}`, null, d.tokens.editor);
      assert.equal(r.status, 204, r.text);
      model.delete(m.id);
    }
    if (m.spec.rename) {
      const doc = { ...docFor(m.spec), name: 'Renamed Gamma', description: 'fresh words', tags: ['new-tag'] };
      const r = await d.api('PUT', `/campaigns/${m.id}`, doc, d.tokens.editor);
      assert.equal(r.status, 200, r.text);
      Object.assign(m, { name: 'Renamed Gamma', description: 'fresh words', tags: ['new-tag'] });
    }
  }
  // Directly in SQL (unavoidable: every real run happened just now): move the runs of three
  // campaigns, and the simulation, weeks into the past.
  const day = 86_400_000;
  const now = Date.parse('2026-06-15T12:00:00Z');
  shifted = {
    [ids['Summer SALE']]: now - 45 * day, // 2026-05-01
    [ids['Welcome series']]: now - 26 * day, // 2026-05-20
    [ids['Order follow-up']]: now - 14 * day, // 2026-06-01
    [simId]: now - 26 * day,
  };
  for (const [cid, t] of Object.entries(shifted)) {
    q(d.db, `UPDATE sw_runs SET started_at = ${t}, ended_at = ${t + 5000} WHERE campaign_id = ${cid}`);
  }
  // The older of the two runs of "Spring Win-back FR" also goes back to 2026-05-01.
  q(
    d.db,
    `UPDATE sw_runs SET started_at = ${now - 45 * day}, ended_at = ${now - 45 * day + 5000} WHERE id = (SELECT min(id) FROM sw_runs WHERE campaign_id = ${ids['Spring Win-back FR']})`,
  );
  // Sanity: the catalog's statuses are the ones the actions should have produced.
  for (const m of model.values()) {
    assert.equal(q(d.db, `SELECT status FROM sw_campaigns WHERE id = ${m.id}`), m.status, m.name);
  }
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_campaigns'), model.size);
});
after(async () => {
  await closeClean(d);
});

/** Raw rows (times in ms) for sorting expectations. */
function rawTimes() {
  const rows = qRows(d.db, 'SELECT id, created_at, updated_at, last_run_at, next_run_at FROM sw_campaigns');
  return new Map(rows.map((r) => [r.id, r]));
}

function runsOf(id) {
  return qRows(d.db, `SELECT started_at, ended_at, simulation FROM sw_runs WHERE campaign_id = ${id}`);
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** The expected order of ids for a sort/order (ties by id, same direction). */
function expectedOrder(list, sort = 'updated_at', order) {
  const times = rawTimes();
  const isTime = !['name', 'status'].includes(sort);
  const desc = order ? order === 'desc' : isTime;
  const key = (m) => (isTime ? Number(times.get(m.id)[sort] ?? 0) : m[sort]);
  const out = [...list].sort((a, b) => cmp(key(a), key(b)) || cmp(a.id, b.id));
  if (desc) out.reverse();
  return out.map((m) => m.id);
}

/** Every page of a query through next_cursor; checks total on each page. */
async function allPages(params, limit, expectTotal) {
  const seen = [];
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const p = new URLSearchParams(params);
    p.set('limit', String(limit));
    if (cursor) p.set('cursor', cursor);
    const r = await d.api('GET', `/campaigns?${p}`, null, V);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, expectTotal, `total of ${p}`);
    assert.ok(r.json.items.length <= limit);
    seen.push(...r.json.items.map((i) => i.id));
    cursor = r.json.next_cursor;
    if (!cursor) {
      return seen;
    }
    assert.equal(r.json.items.length, limit, 'a page with a next cursor is full');
  }
  throw new Error('more than 100 pages');
}

async function list(params) {
  const r = await d.api('GET', `/campaigns?${new URLSearchParams(params)}`, null, V);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** Expected filtering in JS. */
function filtered({ q: text, status, campaign, dimension, tag, from, to } = {}) {
  const csv = (s) => s.split(',').filter(Boolean);
  return [...model.values()].filter((m) => {
    if (text) {
      const t = text.toLowerCase();
      if (!(m.name.toLowerCase().includes(t) || (m.description || '').toLowerCase().includes(t))) return false;
    }
    if (status && !csv(status).includes(m.status)) return false;
    if (campaign && !csv(campaign).includes(m.campaign)) return false;
    if (dimension && !csv(dimension).includes(m.dimension)) return false;
    if (tag && !csv(tag).some((x) => m.tags.includes(x))) return false;
    if (from || to) {
      const f = from ? Date.parse(from) : -Infinity;
      const e = to ? Date.parse(to) : Infinity;
      const ok = runsOf(m.id).some((r) => !r.simulation && (r.ended_at ?? r.started_at) >= f && r.started_at <= e);
      if (!ok) return false;
    }
    return true;
  });
}

async function checkFilter(params, note = '') {
  const exp = filtered(params);
  const want = expectedOrder(exp);
  const { from, to, ...rest } = params;
  const api = { ...rest, limit: '500' };
  if (from) api.processed_from = from;
  if (to) api.processed_to = to;
  const got = await list(api);
  assert.equal(got.total, exp.length, `total for ${JSON.stringify(params)} ${note}`);
  assert.deepEqual(
    got.items.map((i) => i.name).sort(),
    exp.map((m) => m.name).sort(),
    `items for ${JSON.stringify(params)} ${note}`,
  );
  assert.deepEqual(got.items.map((i) => i.id), want, `default order (updated_at desc) for ${JSON.stringify(params)}`);
  assert.equal(got.next_cursor, null);
  return got;
}

test('every item carries the documented fields, with the values created', async () => {
  const got = await list({ limit: '500' });
  assert.equal(got.total, model.size);
  assert.equal(got.items.length, model.size);
  const keys = ['id', 'name', 'description', 'status', 'campaign', 'targeting_dimension', 'tags', 'created_at', 'updated_at', 'last_run_at', 'next_run_at', 'last_error_activity'];
  const times = rawTimes();
  for (const it of got.items) {
    for (const k of keys) assert.ok(k in it, `item has ${k}: ${JSON.stringify(it)}`);
    const m = model.get(it.id);
    assert.ok(m, `unexpected item ${it.id} ${it.name}`);
    assert.equal(it.name, m.name);
    assert.equal(it.description, m.description);
    assert.equal(it.campaign, m.campaign);
    assert.equal(it.targeting_dimension, m.dimension);
    assert.deepEqual(it.tags, m.tags);
    assert.equal(it.status, m.status);
    assert.equal(it.last_error_activity, m.status === 'failed' ? 'src' : null);
    const t = times.get(it.id);
    assert.equal(it.last_run_at === null, t.last_run_at === null, `last_run_at of ${m.name}`);
    if (m.status === 'running' || m.status === 'paused') {
      // next_run_at: the "at" of its schedule (UTC).
      assert.equal(it.next_run_at, `${m.spec.at}Z`, `next_run_at of ${m.name}`);
    } else {
      assert.equal(it.next_run_at, null, `next_run_at of ${m.name}`);
    }
    assert.ok(!('document' in it), 'the list does not carry documents');
  }
});

test('q: case-insensitive substring of name or description, long and short queries', async () => {
  for (const text of ['spring', 'SPRING', 'Spring 2', 'sale', 'SALE', 'win', 'Win-back', 'deals', 'sign-ups', 'order', 'ORDER F', 'ab', 'zz', 'A/', 'x', 'é', 'été', '"hi"', '100%', '%', 'under_', '_', 'gamma', 'fresh', 'no such thing anywhere']) {
    await checkFilter({ q: text });
  }
  // The rename took effect in the search index; the deleted ones are gone from it.
  assert.equal((await list({ q: 'renamed later' })).total, 0);
  assert.equal((await list({ q: 'old description' })).total, 0);
  assert.equal((await list({ q: 'will be deleted' })).total, 0);
  assert.equal((await list({ q: 'Renamed Gamma' })).total, 1);
});

test('q: non-ASCII letters match regardless of case, for short queries as for long ones', async () => {
  // "Été soldes": 3+ character queries go through the trigram index, shorter ones do not;
  // both must fold case the same way.
  const ete = ids['Été soldes'];
  for (const text of ['ÉTÉ', 'été', 'Été', 'ÉT', 'ét', 'É']) {
    const got = await list({ q: text, limit: '500' });
    assert.ok(got.items.some((i) => i.id === ete), `q=${text} finds "Été soldes" (got ${JSON.stringify(got.items.map((i) => i.name))})`);
  }
});

test('status, campaign, dimension, tag: single and comma-separated values, combined', async () => {
  const cases = [
    { status: 'draft' },
    { status: 'completed' },
    { status: 'failed' },
    { status: 'running' },
    { status: 'paused' },
    { status: 'completed,failed' },
    { status: 'running,paused,draft' },
    { campaign: 'Spring 2027' },
    { campaign: 'Spring 2027,Summer 2027' },
    { campaign: 'Nope' },
    { dimension: 'orders' },
    { dimension: 'profiles' },
    { dimension: 'profiles,orders' },
    { tag: 'promo' },
    { tag: 'vip' },
    { tag: 'promo,vip' },
    { tag: 'new-tag' },
    { tag: 'old-tag' },
    { tag: 'retention,transactional' },
    { q: 'spring', status: 'completed,failed' },
    { q: 'order', dimension: 'orders', status: 'draft' },
    { tag: 'promo', campaign: 'Summer 2027,Autumn 2027' },
    { tag: 'vip', status: 'running,paused' },
    { status: 'draft', dimension: 'orders' },
  ];
  for (const c of cases) await checkFilter(c);
  // A status that does not exist is an error naming the parameter, not an empty list.
  for (const s of ['nonexistent', 'draft,bogus', 'draft,', 'DRAFT']) {
    const r = await d.api('GET', `/campaigns?status=${encodeURIComponent(s)}`, null, d.tokens.viewer);
    assert.equal(r.status, 400, `${s}: ${r.text}`);
    assert.equal(r.json.error.details[0].path, 'status');
  }
  // The totals of the status-only path equal independent counts.
  for (const s of ['draft', 'completed', 'failed', 'running', 'paused']) {
    assert.equal((await list({ status: s })).total, qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE status = '${s}'`), s);
  }
  assert.equal((await list({})).total, qInt(d.db, 'SELECT count(*) FROM sw_campaigns'));
});

test('processed_from / processed_to: campaigns with a (non-simulation) run in the range', async () => {
  const cases = [
    { from: '2026-04-25T00:00:00Z', to: '2026-05-05T00:00:00Z' }, // Summer SALE, Spring Win-back FR (older run)
    { from: '2026-05-15T00:00:00Z', to: '2026-06-05T00:00:00Z' }, // Welcome series, Order follow-up (simulation excluded)
    { from: '2026-06-10T00:00:00Z' }, // every campaign that ran just now
    { to: '2026-05-10T00:00:00Z' },
    { from: '2026-05-02T00:00:00Z', to: '2026-05-19T00:00:00Z' }, // nothing
    { from: '2026-06-01T00:00:00Z', to: '2026-06-01T00:00:05Z' }, // the edge of Order follow-up's run
  ];
  for (const c of cases) {
    const params = {};
    if (c.from) params.processed_from = c.from;
    if (c.to) params.processed_to = c.to;
    const exp = filtered({ from: c.from, to: c.to });
    const got = await list({ ...params, limit: '500' });
    assert.deepEqual(got.items.map((i) => i.name).sort(), exp.map((m) => m.name).sort(), JSON.stringify(params));
    assert.equal(got.total, exp.length, JSON.stringify(params));
  }
  // The hand-written expectations of the first two ranges.
  const names = async (p) => (await list({ ...p, limit: '500' })).items.map((i) => i.name).sort();
  assert.deepEqual(await names({ processed_from: '2026-04-25T00:00:00Z', processed_to: '2026-05-05T00:00:00Z' }), ['Spring Win-back FR', 'Summer SALE']);
  assert.deepEqual(await names({ processed_from: '2026-05-15T00:00:00Z', processed_to: '2026-06-05T00:00:00Z' }), ['Order follow-up', 'Welcome series']);
  // Combined with other filters.
  await checkFilter({ q: 'spring', from: '2026-06-10T00:00:00Z' }, '(q + processed_from)');
  const combo = filtered({ status: 'completed', from: '2026-04-25T00:00:00Z', to: '2026-05-05T00:00:00Z' });
  const got = await list({ status: 'completed', processed_from: '2026-04-25T00:00:00Z', processed_to: '2026-05-05T00:00:00Z' });
  assert.equal(got.total, combo.length);
});

test('sort by every column, both orders; cursor paging visits every campaign once, in order', async () => {
  const all = [...model.values()];
  for (const sort of ['name', 'status', 'last_run_at', 'next_run_at', 'updated_at', 'created_at']) {
    for (const order of ['asc', 'desc', undefined]) {
      const want = expectedOrder(all, sort, order);
      const params = { sort };
      if (order) params.order = order;
      const one = await list({ ...params, limit: '500' });
      assert.deepEqual(one.items.map((i) => i.id), want, `one page, sort=${sort} order=${order}`);
      for (const limit of [1, 7]) {
        const paged = await allPages(params, limit, all.length);
        assert.deepEqual(paged, want, `pages of ${limit}, sort=${sort} order=${order}`);
        assert.equal(new Set(paged).size, paged.length, 'no campaign twice');
      }
    }
  }
});

test('paging with filters, and offset paging', async () => {
  for (const [params, limit] of [
    [{ status: 'draft', sort: 'name', order: 'asc' }, 4],
    [{ tag: 'promo', sort: 'last_run_at', order: 'desc' }, 3],
    [{ q: 'spring', sort: 'created_at', order: 'asc' }, 2],
    [{ dimension: 'orders', sort: 'next_run_at', order: 'desc' }, 1],
    [{ status: 'completed,failed', sort: 'status', order: 'desc' }, 2],
  ]) {
    const { sort, order, ...filters } = params;
    const exp = expectedOrder(filtered(filters), sort, order);
    const paged = await allPages(params, limit, exp.length);
    assert.deepEqual(paged, exp, JSON.stringify(params));
  }
  const want = expectedOrder([...model.values()], 'name', 'asc');
  for (const [offset, limit] of [[0, 5], [5, 5], [20, 10], [26, 5], [100, 5]]) {
    const got = await list({ sort: 'name', order: 'asc', offset: String(offset), limit: String(limit) });
    assert.deepEqual(got.items.map((i) => i.id), want.slice(offset, offset + limit), `offset ${offset} limit ${limit}`);
    assert.equal(got.total, want.length);
  }
});
