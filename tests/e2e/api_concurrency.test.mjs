// Campaigns are created, edited, duplicated and searched while runs create and drop their work
// tables. A run changes the database's schema (CREATE/DROP TABLE wt_...) several times a
// second, and every other connection then holds an older schema: the campaign list's search
// index (FTS5) used to fail to connect under it ("vtable constructor failed", a 500 on
// POST /campaigns or on a search). Real parts: the daemon with several workers, run-now in a
// loop; every count is checked against the catalog with the sqlite3 shell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, qInt } from './lib/daemon.mjs';

let d;
before(async () => {
  d = await startDaemon({ profiles: 2000, seed: 17, args: ['--workers', '4'] });
});
after(async () => {
  await closeClean(d);
});

const api = (method, path, body = null) => d.api(method, path, body, d.tokens.admin);

const runner = (i) => ({
  name: `Churn ${i}`,
  activities: [
    { id: 'some', type: 'build_audience', filter: { field: 'id', op: 'le', value: 300 + i } },
    { id: 'half', type: 'split', segments: [{ port: 'low', filter: { field: 'id', op: 'le', value: 100 } }], complement: 'rest' },
    { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
  ],
  transitions: [
    { from: 'some', to: 'half' },
    { from: 'half', port: 'low', to: 'value' },
  ],
});

const small = (name, description) => ({
  name,
  description,
  activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
  transitions: [],
});

test('create, edit, duplicate and search while runs create and drop work tables', async () => {
  const churners = [];
  for (let i = 0; i < 4; i++) {
    const id = (await d.ok('POST', '/campaigns', runner(i))).id;
    await d.ok('POST', `/campaigns/${id}/start`);
    churners.push(id);
  }
  const runsBefore = qInt(d.db, "SELECT count(*) FROM sw_runs WHERE status = 'completed'");
  let stop = false;
  const failures = [];
  // Runs in a loop: run-now on each in turn (a 409 while one still runs is expected).
  const churn = (async () => {
    for (let n = 0; !stop; n++) {
      const r = await api('POST', `/campaigns/${churners[n % churners.length]}/run-now`);
      if (r.status !== 200 && r.status !== 409) failures.push(`run-now: ${r.status} ${r.text}`);
    }
  })();

  // At least 60 campaigns, and on until 5 runs have completed meanwhile (a slow machine).
  const completed = () => qInt(d.db, "SELECT count(*) FROM sw_runs WHERE status = 'completed'") - runsBefore;
  let N = 0;
  const created = [];
  try {
    for (let i = 0; i < 60 || (i < 600 && completed() < 5); i++, N = i) {
      const tag = `k${String(i).padStart(3, '0')}q`;
      const c = await api('POST', '/campaigns', small(`Concurrent ${tag}`, `made while runs go ${i}`));
      if (c.status !== 201) {
        failures.push(`create ${i}: ${c.status} ${c.text}`);
        continue;
      }
      created.push(c.json.id);
      if (i % 3 === 0) {
        const e = await api('PUT', `/campaigns/${c.json.id}`, small(`Concurrent ${tag} edited`, 'edited'));
        if (e.status !== 200) failures.push(`edit ${i}: ${e.status} ${e.text}`);
      }
      if (i % 5 === 0) {
        const dup = await api('POST', `/campaigns/${c.json.id}/duplicate`);
        if (dup.status !== 201) failures.push(`duplicate ${i}: ${dup.status} ${dup.text}`);
      }
      const s = await api('GET', `/campaigns?q=${tag}&limit=10`);
      if (s.status !== 200) failures.push(`search ${i}: ${s.status} ${s.text}`);
      else if (!s.json.items.some((it) => it.id === c.json.id)) failures.push(`search ${i}: ${tag} not found`);
    }
  } finally {
    stop = true;
    await churn;
  }
  assert.deepEqual(failures, []);
  const runs = completed();
  assert.ok(runs >= 5, `runs completed while ${N} campaigns were written: ${runs}`);

  // The catalog: every campaign with its document, and the search index agreeing with the rows.
  const made = qInt(d.db, "SELECT count(*) FROM sw_campaigns WHERE name LIKE 'Concurrent %'");
  assert.equal(made, N + Math.ceil(N / 5), 'created campaigns and their copies');
  assert.equal(
    qInt(d.db, "SELECT count(*) FROM sw_campaigns c LEFT JOIN sw_campaign_documents d ON d.campaign_id = c.id WHERE d.campaign_id IS NULL"),
    0,
    'no campaign without its document',
  );
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns_fts WHERE sw_campaigns_fts MATCH '"Concurrent"'`), made);
  const edited = Math.ceil(N / 3) + Math.ceil(N / 15); // edits, and copies made after an edit
  assert.equal(qInt(d.db, "SELECT count(*) FROM sw_campaigns WHERE name LIKE '% edited%' OR description = 'edited'"), edited);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns_fts WHERE sw_campaigns_fts MATCH '"edited"'`), edited);
});
