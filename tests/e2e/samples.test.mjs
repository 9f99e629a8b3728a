// Samples of any port with kept interim results (options.keep_interim_results): connected or
// not, a split's complement, a deduplicate's duplicates and a combine's complement can be
// sampled; a 404 says the true reason. Expected rows are computed here with SQL over
// `profiles`, never with the engine's SQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, q } from './lib/daemon.mjs';

let d;
before(async () => {
  d = await startDaemon({ profiles: 800, seed: 71 });
});
after(async () => {
  if (d) await closeClean(d);
});

const ids = (sql) => q(d.db, sql).split('\n').filter(Boolean).map(Number);

const doc = (name, keep) => ({
  name,
  activities: [
    { id: 'src', type: 'build_audience', filter: { field: 'id', op: 'le', value: 400 } },
    { id: 'seg', type: 'split', segments: [{ port: 'fr', filter: { field: 'country', op: 'eq', value: 'FR' } }], complement: 'rest' },
    { id: 'dd', type: 'deduplicate', fields: ['last_name'], keep: { count: 1, method: 'order_by', order_by: 'id', direction: 'asc' } },
    { id: 'done', type: 'end' },
  ],
  // Only seg.fr and dd.out are connected: seg.rest and dd.duplicates are read by nobody.
  transitions: [{ from: 'src', to: 'seg' }, { from: 'seg', port: 'fr', to: 'dd' }, { from: 'dd', to: 'done' }],
  ...(keep ? { options: { keep_interim_results: true } } : {}),
});

async function run(name, keep) {
  const c = await d.ok('POST', '/campaigns', doc(name, keep), d.tokens.editor);
  await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  const runId = d.lastRunId(c.id);
  const r = await d.waitRun(runId);
  assert.equal(r.status, 'completed', JSON.stringify(r));
  return runId;
}

const sample = (runId, from, port) => d.api('GET', `/runs/${runId}/transitions/${from}/${port}/sample`, null, d.tokens.viewer);

test('kept interim results: unconnected complement and duplicates ports can be sampled', async () => {
  const runId = await run('Kept, unconnected ports', true);
  const rest = await sample(runId, 'seg', 'rest');
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(rest.json.rows.map((r) => r.id), ids("SELECT id FROM profiles WHERE id <= 400 AND country IS NOT 'FR' ORDER BY id LIMIT 100"));
  const dups = await sample(runId, 'dd', 'duplicates');
  assert.equal(dups.status, 200, dups.text);
  // Among the FR profiles, every row but the smallest id of each last_name (NULLs are never duplicates).
  const want = ids("SELECT id FROM profiles p WHERE id <= 400 AND country = 'FR' AND last_name IS NOT NULL AND id > (SELECT min(id) FROM profiles x WHERE x.id <= 400 AND x.country = 'FR' AND x.last_name = p.last_name) ORDER BY id LIMIT 100");
  assert.ok(want.length > 0, 'the data has duplicate last names');
  assert.deepEqual(dups.json.rows.map((r) => r.id).sort((a, b) => a - b), want);
  // The connected ports still work.
  const fr = await sample(runId, 'seg', 'fr');
  assert.equal(fr.status, 200, fr.text);
  assert.deepEqual(fr.json.rows.map((r) => r.id), ids("SELECT id FROM profiles WHERE id <= 400 AND country = 'FR' ORDER BY id LIMIT 100"));
});

test('a 404 on a sample says the true reason', async () => {
  const kept = await run('Kept, reasons', true);
  const noAct = await sample(kept, 'ghost', 'out');
  assert.equal(noAct.status, 404);
  assert.match(noAct.json.error.message, /activity "ghost" has not run/);
  const noPort = await sample(kept, 'seg', 'nope');
  assert.equal(noPort.status, 404);
  assert.match(noPort.json.error.message, /no port "nope"/);
  assert.doesNotMatch(noPort.json.error.message, /keep_interim_results/, 'the setting is not blamed when it is set');

  const dropped = await run('Not kept', false);
  const gone = await sample(dropped, 'seg', 'fr');
  assert.equal(gone.status, 404);
  assert.match(gone.json.error.message, /keep_interim_results is true \(it is not for this run\)/);
});
