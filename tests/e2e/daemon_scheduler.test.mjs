// The daemon's background work: waits that hold no worker, a tick skipped while a run is
// active, the history purge, and `stepwise demo`'s campaigns in every status.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, chain, qInt, q, until, sleep } from './lib/daemon.mjs';
import { sw, makeTmp, sqlInt, sql } from './lib/helpers.mjs';

const daemons = [];
after(async () => {
  for (const d of daemons) await closeClean(d);
});

const fr = { id: 'a', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } };

test('waits hold no worker: three waiting runs progress with a single worker', async () => {
  const d = await startDaemon({ profiles: 600, args: ['--workers', '1'] });
  daemons.push(d);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const c = await d.ok('POST', '/campaigns', chain(`waiter ${i}`, [fr, { id: 'w', type: 'wait', duration: '3s' }, { id: 'e', type: 'end' }]));
    ids.push(c.id);
  }
  const t0 = Date.now();
  for (const id of ids) await d.ok('POST', `/campaigns/${id}/start`);
  // All three reach their wait: one worker could not do that if a wait held it.
  await until(() => qInt(d.db, "SELECT count(*) FROM sw_tasks WHERE activity = 'w' AND wake_at IS NOT NULL") === 3,
    { timeoutMs: 10_000, what: 'three runs waiting at once' });
  for (const id of ids) await d.waitCampaign(id, ['completed'], 20_000);
  const elapsed = Date.now() - t0;
  // Serial waits would take 9 s or more.
  assert.ok(elapsed < 8500, `three 3 s waits took ${elapsed} ms with one worker`);
});

test('a tick that arrives while the previous run is active is skipped and logged', async () => {
  const d = await startDaemon({ profiles: 600 });
  daemons.push(d);
  // Every minute in UTC, with a run that lasts long enough to still be active at the next tick.
  const c = await d.ok('POST', '/campaigns', chain('minutely', [fr, { id: 'w', type: 'wait', duration: '1h' }, { id: 'e', type: 'end' }],
    { timezone: 'UTC', schedule: { cron: '* * * * *' } }));
  const id = c.id;
  await d.ok('POST', `/campaigns/${id}/start`);
  // Jump to the first tick: move next_run_at into the past instead of waiting a minute.
  q(d.db, `UPDATE sw_campaigns SET next_run_at = ${Math.floor(d.now() / 60000) * 60000} WHERE id = ${id}`);
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${id}`) === 1, { what: 'the first scheduled run' });
  q(d.db, `UPDATE sw_campaigns SET next_run_at = ${Math.floor(d.now() / 60000) * 60000} WHERE id = ${id}`);
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_logs WHERE campaign_id = ${id} AND message LIKE 'tick skipped%'`) >= 1,
    { what: 'a skipped tick in the logs' });
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${id}`), 1, 'no second run while the first is active');
  assert.equal(q(d.db, `SELECT trigger FROM sw_runs WHERE campaign_id = ${id}`), 'schedule');
  const logs = await d.ok('GET', `/campaigns/${id}/logs?level=warn`, null, d.tokens.viewer);
  assert.ok(logs.items.some((l) => /tick skipped/.test(l.message)));
  await d.ok('POST', `/campaigns/${id}/stop`);
});

test('history older than options.history_days is purged with its tasks and logs', async () => {
  const d = await startDaemon({ profiles: 600 });
  daemons.push(d);
  const c = await d.ok('POST', '/campaigns', chain('short memory', [fr, { id: 'e', type: 'end' }], { options: { history_days: 2 } }));
  const id = c.id;
  await d.ok('POST', `/campaigns/${id}/start`);
  await d.waitCampaign(id, ['completed']);
  await d.ok('POST', `/campaigns/${id}/run-now`);
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${id} AND status = 'completed'`) === 2, { what: 'two runs' });
  const [oldRun] = q(d.db, `SELECT min(id) FROM sw_runs WHERE campaign_id = ${id}`).split('\n').map(Number);
  // Age the first run by 3 days; the purge runs when the daemon starts, then hourly.
  const threeDays = 3 * 86400 * 1000;
  q(d.db, `UPDATE sw_runs SET started_at = started_at - ${threeDays}, ended_at = ended_at - ${threeDays} WHERE id = ${oldRun}`);
  // Ledger rows of both runs (as a channel would have left them): the old run's go with it.
  const t = d.now();
  q(d.db, `INSERT INTO sw_deliveries (run_id, activity, channel, recipient, address, address_key, state, created_at, updated_at, sent_at) VALUES
    (${oldRun}, 'm', 'email', '1', 'a@x.org', 'a@x.org', 'sent', ${t - threeDays}, ${t - threeDays}, ${t - threeDays}),
    (${oldRun}, 'm', 'email', '2', 'b@x.org', 'b@x.org', 'failed', ${t - threeDays}, ${t - threeDays}, NULL),
    (${oldRun + 1}, 'm', 'email', '1', 'a@x.org', 'a@x.org', 'sent', ${t}, ${t}, ${t})`);
  await d.restart();
  await until(() => qInt(d.db, `SELECT count(*) FROM sw_runs WHERE id = ${oldRun}`) === 0, { what: 'the old run purged' });
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tasks WHERE run_id = ${oldRun}`), 0);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_logs WHERE run_id = ${oldRun}`), 0);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${id}`), 1, 'the recent run is kept');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${oldRun}`), 0, 'the old run\'s ledger rows are purged (no frequency cap set)');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_deliveries WHERE run_id = ${oldRun + 1}`), 1, 'the recent run\'s ledger is kept');
});

test('stepwise demo creates campaigns in every status, templates and a user that can sign in', async () => {
  const tmp = makeTmp('sw-demo-');
  try {
    const r = sw(['demo', '--dir', tmp.dir, '--profiles', '800', '--no-serve'], { env: { STEPWISE_ARGON2_FAST: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /user "demo" with password "stepwise-demo"/);
    const db = `${tmp.dir}/demo.db`;
    const statuses = sql(db, 'SELECT status FROM sw_campaigns ORDER BY status').split('\n');
    for (const s of ['completed', 'draft', 'failed', 'paused', 'running']) assert.ok(statuses.includes(s), `a ${s} campaign`);
    assert.ok(sqlInt(db, "SELECT count(*) FROM sw_runs r JOIN sw_campaigns c ON c.id = r.campaign_id WHERE c.status = 'completed'") >= 2, 'history');
    assert.ok(sqlInt(db, "SELECT count(*) FROM sw_campaigns WHERE status = 'running' AND next_run_at > 0") === 1, 'a recurring campaign armed');
    assert.ok(sqlInt(db, "SELECT count(*) FROM sw_campaigns WHERE status = 'failed' AND last_error_activity IS NOT NULL") === 1);
    assert.ok(sqlInt(db, 'SELECT count(*) FROM sw_templates') >= 2);
    // A second run keeps what is there (no duplicates) and the user signs in.
    const again = sw(['demo', '--dir', tmp.dir, '--no-serve'], { env: { STEPWISE_ARGON2_FAST: '1' } });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(sqlInt(db, 'SELECT count(*) FROM sw_campaigns'), statuses.length);
    const d = await startDaemon({ db, tokens: false });
    daemons.push(d);
    const login = await d.api('POST', '/session', { username: 'demo', password: 'stepwise-demo' });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie').split(';')[0];
    const list = await d.api('GET', '/campaigns', null, null, { headers: { Cookie: cookie } });
    assert.equal(list.status, 200);
    assert.equal(list.json.total, statuses.length);
  } finally {
    tmp.cleanup();
  }
});

test("an end activity's signal starts the campaign it names, with its variables", async () => {
  const d = await startDaemon({ profiles: 600 });
  daemons.push(d);
  const target = await d.ok('POST', '/campaigns', {
    name: 'signalled',
    schedule: { signal: true },
    variables: { country: 'DE' },
    activities: [{ id: 'who', type: 'build_audience', filter: { field: 'country', op: 'eq', value: { var: 'country' } } }],
    transitions: [],
  });
  await d.ok('POST', `/campaigns/${target.id}/start`);
  const source = await d.ok('POST', '/campaigns', chain('signaller', [fr, { id: 'e', type: 'end', signal: { campaign: 'signalled', variables: { country: 'FR' } } }]));
  await d.ok('POST', `/campaigns/${source.id}/start`);
  const runId = await until(() => qInt(d.db, `SELECT coalesce(max(id), 0) FROM sw_runs WHERE campaign_id = ${target.id}`),
    { what: 'a run of the signalled campaign' });
  const run = await d.waitRun(runId);
  assert.equal(run.status, 'completed');
  assert.equal(run.trigger, 'signal');
  assert.deepEqual(run.variables, { country: 'FR' });
  assert.equal(run.counts.who.out, qInt(d.db, "SELECT count(*) FROM profiles WHERE country = 'FR'"));
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_signals WHERE consumed_at IS NULL'), 0);
});
