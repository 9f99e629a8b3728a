// Campaign CRUD, simulate, trigger with variables, transition samples, runs/tasks/logs,
// templates (CRUD, save-as-template, instantiate), dimensions and audiences, through a real
// daemon. Every count is compared with SQL written here (sqlite3 shell).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, chain, sleep, until, q, qInt, qRows } from './lib/daemon.mjs';

let d;
let E; // editor token
before(async () => {
  d = await startDaemon({ profiles: 1500, seed: 31 });
  E = d.tokens.editor;
});
after(async () => {
  await closeClean(d);
});

const count = (where) => qInt(d.db, `SELECT count(*) FROM profiles WHERE ${where}`);
const keys = (sqlText) => q(d.db, sqlText).split('\n').filter(Boolean).map(Number);

/** fr → enrich n_orders → split buyers/rest → save buyers. */
const targeting = (name, extra = {}) => ({
  name,
  description: 'French buyers',
  campaign: 'Parent A',
  tags: ['t1', 't2'],
  targeting_dimension: 'profiles',
  variables: { country: 'FR' },
  activities: [
    { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: { var: 'country' } } },
    { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
    { id: 'tiers', type: 'split', segments: [{ port: 'buyers', filter: { field: 'n_orders', op: 'ge', value: 2 } }], complement: 'rest' },
    { id: 'save', type: 'save_audience', audience: 'api_buyers', mode: 'replace' },
  ],
  transitions: [
    { from: 'src', to: 'value' },
    { from: 'value', to: 'tiers' },
    { from: 'tiers', port: 'buyers', to: 'save' },
  ],
  ...extra,
});
const buyersWhere = (c) =>
  `country = '${c}' AND (SELECT count(*) FROM orders o WHERE o.profile_id = profiles.id) >= 2`;

test('create, read, replace, delete a campaign', async () => {
  const doc = targeting('CRUD one');
  const r = await d.api('POST', '/campaigns', doc, E);
  assert.equal(r.status, 201, r.text);
  const c = r.json;
  assert.equal(c.name, 'CRUD one');
  assert.equal(c.status, 'draft');
  assert.equal(c.description, 'French buyers');
  assert.equal(c.campaign, 'Parent A');
  assert.equal(c.targeting_dimension, 'profiles');
  assert.deepEqual(c.tags, ['t1', 't2']);
  assert.equal(c.last_run_at, null);
  assert.equal(c.next_run_at, null);
  assert.equal(c.last_error_activity, null);
  assert.deepEqual(c.document.activities, doc.activities);
  assert.deepEqual(c.document.transitions, doc.transitions);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE id = ${c.id} AND status = 'draft' AND name = 'CRUD one'`), 1);

  const g = await d.ok('GET', `/campaigns/${c.id}`, null, d.tokens.viewer);
  assert.deepEqual(g, c);

  // The targeting dimension defaults to the data source's default one.
  const { targeting_dimension, ...noDim } = doc;
  assert.equal(targeting_dimension, 'profiles');
  const dflt = await d.ok('POST', '/campaigns', { ...noDim, name: 'CRUD default dimension' }, E);
  assert.equal(dflt.targeting_dimension, 'profiles');

  await sleep(1100); // updated_at has a one-second resolution in the API
  const put = await d.api('PUT', `/campaigns/${c.id}`, { ...doc, name: 'CRUD one renamed', tags: ['t3'], description: 'new' }, E);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.name, 'CRUD one renamed');
  assert.deepEqual(put.json.tags, ['t3']);
  assert.equal(put.json.description, 'new');
  assert.equal(put.json.created_at, c.created_at);
  assert.ok(put.json.updated_at > c.updated_at, `updated_at moves on edit (${c.updated_at} → ${put.json.updated_at})`);
  assert.equal(q(d.db, `SELECT name || '|' || tags FROM sw_campaigns WHERE id = ${c.id}`), 'CRUD one renamed|["t3"]');

  const del = await d.api('DELETE', `/campaigns/${c.id}`, null, E);
  assert.equal(del.status, 204);
  assert.equal(del.text, '');
  assert.equal((await d.api('GET', `/campaigns/${c.id}`, null, E)).status, 404);
  assert.equal((await d.api('DELETE', `/campaigns/${c.id}`, null, E)).status, 404);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE id = ${c.id}`), 0);
  await d.ok('DELETE', `/campaigns/${dflt.id}`, null, E);
});

test('simulate reports counts and saves nothing', async () => {
  const c = await d.ok('POST', '/campaigns', targeting('Simulated'), E);
  const audiencesBefore = q(d.db, 'SELECT count(*) || group_concat(name) FROM sw_audiences');
  const tablesBefore = q(d.db, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'");
  const r = await d.api('POST', `/campaigns/${c.id}/simulate`, null, E);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.run.status, 'completed');
  assert.equal(r.json.run.simulation, true);
  assert.equal(r.json.counts.src.out, count("country = 'FR'"));
  assert.equal(r.json.counts.value.out, count("country = 'FR'"));
  assert.equal(r.json.counts.tiers.buyers, count(buyersWhere('FR')));
  assert.equal(r.json.counts.tiers.rest, count("country = 'FR'") - count(buyersWhere('FR')));
  // Nothing saved: no audience, no leftover table, the campaign untouched.
  assert.equal(q(d.db, 'SELECT count(*) || group_concat(name) FROM sw_audiences'), audiencesBefore);
  assert.equal(q(d.db, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"), tablesBefore);
  const after1 = await d.ok('GET', `/campaigns/${c.id}`);
  assert.equal(after1.status, 'draft');
  assert.equal(after1.last_run_at, null);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id} AND simulation = 0`), 0);

  // With variables: counts follow the override.
  const de = await d.ok('POST', `/campaigns/${c.id}/simulate`, { variables: { country: 'DE' } }, E, 200);
  assert.equal(de.counts.src.out, count("country = 'DE'"));
  assert.equal(de.counts.tiers.buyers, count(buyersWhere('DE')));
  assert.equal(q(d.db, 'SELECT count(*) || group_concat(name) FROM sw_audiences'), audiencesBefore);
});

test('trigger with variables starts a run using them; save_audience then shows in /audiences', async () => {
  const c = await d.ok('POST', '/campaigns', targeting('Triggered', { schedule: { signal: true } }), E);
  const t = await d.api('POST', `/campaigns/${c.id}/trigger`, { variables: { country: 'DE' } }, E);
  assert.equal(t.status, 202, t.text);
  const runId = t.json.run_id;
  assert.ok(runId > 0);
  const run = await d.waitRun(runId);
  assert.equal(run.status, 'completed');
  assert.equal(run.trigger, 'signal');
  assert.deepEqual(run.variables, { country: 'DE' });
  assert.equal(run.counts.src.out, count("country = 'DE'"));
  assert.equal(run.counts.tiers.buyers, count(buyersWhere('DE')));
  assert.equal(run.counts.save.out, count(buyersWhere('DE')));
  let aud = (await d.ok('GET', '/audiences', null, d.tokens.viewer)).items.find((a) => a.name === 'api_buyers');
  assert.ok(aud);
  assert.equal(aud.count, count(buyersWhere('DE')));
  assert.equal(aud.dimension, 'profiles');
  const table = q(d.db, "SELECT table_name FROM sw_audiences WHERE name = 'api_buyers'");
  assert.deepEqual(keys(`SELECT _key FROM "${table}" ORDER BY _key`), keys(`SELECT id FROM profiles WHERE ${buyersWhere('DE')} ORDER BY id`));

  // Without variables: the declared default (FR); the audience is replaced.
  await d.waitCampaign(c.id, 'completed', 10_000);
  const t2 = await d.api('POST', `/campaigns/${c.id}/trigger`, null, E);
  assert.equal(t2.status, 202, t2.text);
  const run2 = await d.waitRun(t2.json.run_id);
  assert.equal(run2.counts.src.out, count("country = 'FR'"));
  aud = (await d.ok('GET', '/audiences')).items.find((a) => a.name === 'api_buyers');
  assert.equal(aud.count, count(buyersWhere('FR')));

  // Run history, tasks and logs of the campaign.
  const runs = await d.ok('GET', `/campaigns/${c.id}/runs`, null, d.tokens.viewer);
  assert.deepEqual(runs.items.map((r) => r.id), [t2.json.run_id, runId]);
  const tasks = await d.ok('GET', `/runs/${runId}/tasks`, null, d.tokens.viewer);
  assert.deepEqual(tasks.items.map((x) => x.activity).sort(), ['save', 'src', 'tiers', 'value']);
  for (const x of tasks.items) {
    assert.equal(x.status, 'completed');
    assert.match(x.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(x.ended_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  assert.equal(tasks.items.find((x) => x.activity === 'value').input_count, count("country = 'DE'"));
  const logs = await d.ok('GET', `/campaigns/${c.id}/logs?run=${runId}`, null, d.tokens.viewer);
  assert.ok(logs.items.length > 0);
  assert.ok(logs.items.every((l) => l.run_id === runId), JSON.stringify(logs.items));
  assert.equal(logs.items.length, qInt(d.db, `SELECT count(*) FROM sw_logs WHERE run_id = ${runId}`));
  const info = await d.ok('GET', `/campaigns/${c.id}/logs?level=info`);
  assert.ok(info.items.every((l) => l.level === 'info'));
  assert.equal(info.items.length, qInt(d.db, `SELECT count(*) FROM sw_logs WHERE campaign_id = ${c.id} AND level = 'info'`));
});

test('trigger variables are checked before a run starts (unknown name, wrong type → 422, no run)', async () => {
  const c = await d.ok('POST', '/campaigns', targeting('Checked variables', { schedule: { signal: true } }), E);
  const problems = [];
  for (const [vars, why] of [
    [{ nope: 1 }, 'an undeclared variable'],
    [{ country: 5 }, 'a number where the filter compares text (country)'],
  ]) {
    const runsBefore = qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`);
    const r = await d.api('POST', `/campaigns/${c.id}/trigger`, { variables: vars }, E);
    if (r.status !== 422) problems.push(`${why}: ${JSON.stringify(vars)} → ${r.status} ${r.text}`);
    else if (!r.json.error.details.some((x) => /variables/.test(x.path || ''))) {
      problems.push(`${why}: the error's path should name $.variables…, got ${JSON.stringify(r.json.error.details)}`);
    }
    if (r.status === 202) await d.waitRun(r.json.run_id);
    const runsAfter = qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`);
    if (runsAfter !== runsBefore) problems.push(`${why}: a run was created (${runsAfter - runsBefore})`);
  }
  assert.deepEqual(problems, []);
});

test('transition samples: up to 100 rows while work tables live or with keep_interim_results; 404 otherwise', async () => {
  const kept = await d.ok('POST', '/campaigns', targeting('Kept', { options: { keep_interim_results: true } }), E);
  await d.ok('POST', `/campaigns/${kept.id}/start`, null, E);
  const runId = d.lastRunId(kept.id);
  assert.equal((await d.waitRun(runId)).status, 'completed');
  const s = await d.api('GET', `/runs/${runId}/transitions/src/out/sample`, null, d.tokens.viewer);
  assert.equal(s.status, 200, s.text);
  const want = keys("SELECT id FROM profiles WHERE country = 'FR' ORDER BY id LIMIT 100");
  assert.equal(s.json.rows.length, Math.min(100, count("country = 'FR'")));
  assert.deepEqual(s.json.rows.map((r) => r.id), want);
  assert.ok(s.json.rows.every((r) => r.country === 'FR' && 'email' in r));
  const b = await d.api('GET', `/runs/${runId}/transitions/tiers/buyers/sample`, null, d.tokens.viewer);
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(b.json.rows.map((r) => r.id), keys(`SELECT id FROM profiles WHERE ${buyersWhere('FR')} ORDER BY id LIMIT 100`));
  const nOrders = new Map(qRows(d.db, "SELECT p.id, (SELECT count(*) FROM orders o WHERE o.profile_id = p.id) AS n FROM profiles p WHERE p.country = 'FR'").map((r) => [r.id, r.n]));
  for (const row of b.json.rows) assert.equal(row.n_orders, nOrders.get(row.id), `enriched n_orders of ${row.id}`);
  assert.equal((await d.api('GET', `/runs/${runId}/transitions/tiers/nope/sample`, null, d.tokens.viewer)).status, 404);
  assert.equal((await d.api('GET', `/runs/${runId}/transitions/ghost/out/sample`, null, d.tokens.viewer)).status, 404);

  // Without keep_interim_results: available while the run lives (held by a wait), 404 after.
  const live = await d.ok(
    'POST',
    '/campaigns',
    {
      ...chain('Live sample', [
        { id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'DE' } },
        { id: 'hold', type: 'wait', duration: '3s' },
      ]),
    },
    E,
  );
  await d.ok('POST', `/campaigns/${live.id}/start`, null, E);
  const liveRun = d.lastRunId(live.id);
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${liveRun} AND activity = 'src' AND status = 'completed'`) === 1, { what: 'src done' });
  const during = await d.api('GET', `/runs/${liveRun}/transitions/src/out/sample`, null, d.tokens.viewer);
  assert.equal(during.status, 200, during.text);
  assert.deepEqual(during.json.rows.map((r) => r.id), keys("SELECT id FROM profiles WHERE country = 'DE' ORDER BY id LIMIT 100"));
  assert.equal((await d.waitRun(liveRun)).status, 'completed');
  const gone = await d.api('GET', `/runs/${liveRun}/transitions/src/out/sample`, null, d.tokens.viewer);
  assert.equal(gone.status, 404, gone.text);
  assert.match(gone.json.error.message, /keep_interim_results/);
});

test('templates: CRUD, save-as-template, instantiate into a new draft', async () => {
  const tdoc = { ...targeting('Template one'), description: 'a skeleton' };
  const t = await d.api('POST', '/templates', tdoc, E);
  assert.equal(t.status, 201, t.text);
  assert.equal(t.json.name, 'Template one');
  assert.equal(t.json.description, 'a skeleton');
  assert.deepEqual(t.json.document.activities, tdoc.activities);
  const tid = t.json.id;
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_templates WHERE id = ${tid}`), 1);

  const list = await d.ok('GET', '/templates', null, d.tokens.viewer);
  assert.ok(list.items.some((x) => x.id === tid && x.name === 'Template one'));
  assert.equal(list.items.length, qInt(d.db, 'SELECT count(*) FROM sw_templates'));
  assert.deepEqual(await d.ok('GET', `/templates/${tid}`, null, d.tokens.viewer), t.json);

  const put = await d.api('PUT', `/templates/${tid}`, { ...tdoc, name: 'Template one v2' }, E);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.name, 'Template one v2');
  assert.equal(q(d.db, `SELECT name FROM sw_templates WHERE id = ${tid}`), 'Template one v2');

  // Instantiate: a new draft campaign with the template's definition, no runs.
  const campaignsBefore = qInt(d.db, 'SELECT count(*) FROM sw_campaigns');
  const inst = await d.api('POST', `/templates/${tid}/instantiate`, { name: 'From template' }, E);
  assert.equal(inst.status, 201, inst.text);
  assert.equal(inst.json.name, 'From template');
  assert.equal(inst.json.status, 'draft');
  assert.equal(inst.json.description, 'a skeleton');
  assert.deepEqual(inst.json.tags, ['t1', 't2']);
  assert.deepEqual(inst.json.document.activities, tdoc.activities);
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_campaigns'), campaignsBefore + 1);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${inst.json.id}`), 0);
  const inst2 = await d.ok('POST', `/templates/${tid}/instantiate`, null, E);
  assert.equal(inst2.name, 'Template one v2');
  // The new campaign runs like any other.
  await d.ok('POST', `/campaigns/${inst.json.id}/start`, null, E);
  const run = await d.waitRun(d.lastRunId(inst.json.id));
  assert.equal(run.counts.tiers.buyers, count(buyersWhere('FR')));

  // Save as template from a campaign.
  const sat = await d.api('POST', `/campaigns/${inst.json.id}/save-as-template`, { name: 'Saved from campaign' }, E);
  assert.equal(sat.status, 201, sat.text);
  assert.equal(sat.json.name, 'Saved from campaign');
  const saved = await d.ok('GET', `/templates/${sat.json.id}`);
  assert.deepEqual(saved.document.activities, tdoc.activities);
  assert.deepEqual(saved.document.transitions, tdoc.transitions);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${inst.json.id}`), 1, 'the campaign keeps its runs');
  const sat2 = await d.ok('POST', `/campaigns/${inst.json.id}/save-as-template`, null, E);
  assert.equal(sat2.name, 'From template');

  // A template is checked for structure only; instantiating it checks it against the data source.
  const foreign = await d.api('POST', '/templates', chain('Foreign', [{ id: 'src', type: 'build_audience', filter: { field: 'no_such_column', op: 'eq', value: 1 } }]), E);
  assert.equal(foreign.status, 201, foreign.text);
  const before2 = qInt(d.db, 'SELECT count(*) FROM sw_campaigns');
  const bad = await d.api('POST', `/templates/${foreign.json.id}/instantiate`, null, E);
  assert.equal(bad.status, 422, bad.text);
  assert.ok(bad.json.error.details.some((x) => x.path === '$.activities[0].filter.field'), bad.text);
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_campaigns'), before2);

  for (const id of [tid, sat.json.id, sat2.id, foreign.json.id]) {
    assert.equal((await d.api('DELETE', `/templates/${id}`, null, E)).status, 204);
    assert.equal((await d.api('GET', `/templates/${id}`, null, E)).status, 404);
  }
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_templates'), 0);
  // The campaigns made from it stay.
  assert.equal((await d.api('GET', `/campaigns/${inst.json.id}`, null, E)).status, 200);
});

test('dimensions: the discovered schema with fields and links', async () => {
  const r = await d.ok('GET', '/dimensions', null, d.tokens.viewer);
  assert.equal(r.default, 'profiles');
  const dims = Object.fromEntries(r.dimensions.map((x) => [x.name, x]));
  const userTables = q(d.db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sw\\_%' ESCAPE '\\' AND name NOT LIKE 'wt\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").split('\n');
  const audienceTables = q(d.db, 'SELECT table_name FROM sw_audiences').split('\n');
  assert.deepEqual(Object.keys(dims).sort(), userTables.filter((t) => !audienceTables.includes(t)).sort());
  for (const name of ['profiles', 'orders']) {
    const cols = q(d.db, `SELECT name FROM pragma_table_info('${name}') ORDER BY cid`).split('\n');
    assert.deepEqual(dims[name].fields.map((f) => f.name), cols, `fields of ${name}`);
    assert.equal(dims[name].primary_key, 'id');
  }
  const link = (dim, n) => dims[dim].links.find((l) => l.name === n);
  assert.deepEqual(
    { target: link('profiles', 'orders').target, cardinality: link('profiles', 'orders').cardinality },
    { target: 'orders', cardinality: '1-N' },
  );
  assert.deepEqual(
    { target: link('orders', 'profiles').target, cardinality: link('orders', 'profiles').cardinality },
    { target: 'profiles', cardinality: 'N-1' },
  );
  assert.equal(dims.profiles.fields.find((f) => f.name === 'email_opt_in').type, 'boolean');
  assert.equal(dims.orders.fields.find((f) => f.name === 'amount').type, 'real');
});
