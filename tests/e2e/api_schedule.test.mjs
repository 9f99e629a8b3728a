// Schedules through the daemon: the preview of the next ten ticks (a 09:00 Europe/Paris weekly
// campaign stays 09:00 local across both daylight-saving changes), start arming a schedule
// (next_run_at, no run), a tick actually starting a run, run-now between ticks, and an edit
// of a paused campaign's schedule. Expected instants are computed here with Intl (the ICU
// time-zone database of Node), independently of the daemon's libical.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, sleep, until, q, qInt } from './lib/daemon.mjs';
import { iso } from './lib/helpers.mjs';

let d;
before(async () => {
  d = await startDaemon({ profiles: 300, seed: 21 });
});
after(async () => {
  await closeClean(d);
});

const body = (name, extra = {}) => ({
  name,
  activities: [{ id: 'all', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'FR' } }],
  transitions: [],
  ...extra,
});

async function create(doc) {
  const r = await d.api('POST', '/campaigns', doc, d.tokens.editor);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const paris = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** Paris wall clock of an instant: {date: 'YYYY-MM-DD', time: 'HH:MM:SS'}. */
function parisWall(ms) {
  const p = Object.fromEntries(paris.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}` };
}

/** The instant of a Paris local date-time that exists (one of the two offsets fits). */
function parisInstant(y, m, dd, hh, mm = 0) {
  for (const off of [1, 2]) {
    const t = Date.UTC(y, m - 1, dd, hh - off, mm);
    const w = parisWall(t);
    const want = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
    if (w.date === want && w.time === `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00`) return { t, off };
  }
  return null;
}

/** The next n Mondays at 09:00 Paris from a UTC instant, with their offsets. */
function mondaysAt9(fromMs, n) {
  const out = [];
  let day = new Date(fromMs);
  day = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
  while (out.length < n) {
    const dt = new Date(day);
    if (dt.getUTCDay() === 1) {
      const r = parisInstant(dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate(), 9);
      if (r.t > fromMs) out.push(r);
    }
    day += 86_400_000;
  }
  return out;
}

const offStr = (off) => `+0${off}:00`;

async function preview(id, from) {
  const r = await d.api('GET', `/campaigns/${id}/schedule/preview${from ? `?from=${encodeURIComponent(from)}` : ''}`, null, d.tokens.viewer);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

function checkTicks(got, want) {
  assert.equal(got.length, want.length, JSON.stringify(got));
  got.forEach((tick, i) => {
    assert.equal(tick.utc, iso(want[i].t), `tick ${i} utc`);
    const w = parisWall(want[i].t);
    assert.equal(tick.local, `${w.date}T${w.time}${offStr(want[i].off)}`, `tick ${i} local`);
  });
}

const weekly = {
  timezone: 'Europe/Paris',
  schedule: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', start: '2027-03-01T00:00:00' },
};

test('preview: a 09:00 Europe/Paris weekly run stays 09:00 local across the March change', async () => {
  const c = await create(body('Weekly Paris', weekly));
  const p = await preview(c.id, '2027-03-15T00:00:00Z');
  assert.equal(p.timezone, 'Europe/Paris');
  assert.equal(p.next.length, 10);
  const want = mondaysAt9(Date.parse('2027-03-15T00:00:00Z'), 10);
  checkTicks(p.next, want);
  for (const tick of p.next) {
    assert.match(tick.local, /T09:00:00\+0[12]:00$/, 'always 09:00 local');
    const utcHour = Number(tick.utc.slice(11, 13));
    assert.equal(utcHour, tick.utc < '2027-03-28' ? 8 : 7, `${tick.utc}: 08:00Z in winter, 07:00Z in summer`);
  }
  // The hand-written edges of the change (last Sunday of March 2027 is the 28th).
  assert.equal(p.next[0].utc, '2027-03-15T08:00:00Z');
  assert.equal(p.next[1].utc, '2027-03-22T08:00:00Z');
  assert.equal(p.next[2].utc, '2027-03-29T07:00:00Z');
  assert.equal(p.next[2].local, '2027-03-29T09:00:00+02:00');
});

test('preview: across the October change, and from now', async () => {
  const c = await create(body('Weekly Paris autumn', weekly));
  const p = await preview(c.id, '2027-10-11T00:00:00Z');
  checkTicks(p.next, mondaysAt9(Date.parse('2027-10-11T00:00:00Z'), 10));
  assert.deepEqual(
    p.next.slice(0, 5).map((t) => t.utc),
    ['2027-10-11T07:00:00Z', '2027-10-18T07:00:00Z', '2027-10-25T07:00:00Z', '2027-11-01T08:00:00Z', '2027-11-08T08:00:00Z'],
  );
  assert.ok(p.next.every((t) => /T09:00:00\+0[12]:00$/.test(t.local)));
  // Without from: after the daemon's now (2026-06-15): the first tick is the start date.
  const now = await preview(c.id);
  assert.equal(now.next[0].utc, '2027-03-01T08:00:00Z');
  assert.equal(now.next[0].local, '2027-03-01T09:00:00+01:00');
  // The same schedule as cron gives the same ticks.
  const cron = await create(body('Cron Paris', { timezone: 'Europe/Paris', schedule: { cron: '0 9 * * 1' } }));
  const pc = await preview(cron.id, '2027-03-15T00:00:00Z');
  checkTicks(pc.next, mondaysAt9(Date.parse('2027-03-15T00:00:00Z'), 10));
});

test('preview: until bounds the ticks; the spring-forward gap runs at the transition; no schedule previews nothing', async () => {
  const bounded = await create(
    body('Bounded', { timezone: 'Europe/Paris', schedule: { ...weekly.schedule, until: '2027-04-01T00:00:00' } }),
  );
  const pb = await preview(bounded.id, '2027-03-15T00:00:00Z');
  assert.deepEqual(pb.next.map((t) => t.utc), ['2027-03-15T08:00:00Z', '2027-03-22T08:00:00Z', '2027-03-29T07:00:00Z']);

  // Daily at 02:30 Paris: 2027-03-28 02:30 does not exist; it runs at 03:00 local (01:00Z).
  const gap = await create(body('Gap', { timezone: 'Europe/Paris', schedule: { rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30', start: '2027-03-01T00:00:00' } }));
  const pg = await preview(gap.id, '2027-03-26T00:00:00Z');
  assert.deepEqual(
    pg.next.slice(0, 4).map((t) => [t.utc, t.local]),
    [
      ['2027-03-26T01:30:00Z', '2027-03-26T02:30:00+01:00'],
      ['2027-03-27T01:30:00Z', '2027-03-27T02:30:00+01:00'],
      ['2027-03-28T01:00:00Z', '2027-03-28T03:00:00+02:00'],
      ['2027-03-29T00:30:00Z', '2027-03-29T02:30:00+02:00'],
    ],
  );
  for (const [name, extra] of [['Manual', {}], ['Signal', { schedule: { signal: true } }]]) {
    const c = await create(body(name, extra));
    const p = await preview(c.id, '2027-03-15T00:00:00Z');
    assert.deepEqual(p.next, []);
  }
  const once = await create(body('Once', { timezone: 'Europe/Paris', schedule: { at: '2027-07-14T10:00:00' } }));
  const po = await preview(once.id, '2027-01-01T00:00:00Z');
  assert.deepEqual(po.next, [{ utc: '2027-07-14T08:00:00Z', local: '2027-07-14T10:00:00+02:00' }]);
});

test('start arms a schedule (next_run_at, no run); a tick starts a run; a one-shot then completes', async () => {
  const c = await create(body('Weekly armed', weekly));
  const s = await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor);
  assert.equal(s.status, 'running');
  assert.equal(s.next_run_at, '2027-03-01T08:00:00Z');
  await sleep(600); // a few scheduler ticks
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`), 0, 'no run before the first tick');
  // run-now between ticks: an extra run; the campaign stays running with its next tick.
  const rn = await d.ok('POST', `/campaigns/${c.id}/run-now`, null, d.tokens.editor);
  assert.equal(rn.status, 'running');
  const runId = d.lastRunId(c.id);
  assert.ok(runId > 0);
  const done = await d.waitRun(runId);
  assert.equal(done.status, 'completed');
  assert.equal(done.trigger, 'run-now');
  assert.equal(done.counts.all.out, qInt(d.db, "SELECT count(*) FROM profiles WHERE country = 'FR'"));
  await sleep(300);
  const after1 = await d.ok('GET', `/campaigns/${c.id}`);
  assert.equal(after1.status, 'running', 'future ticks remain: still running');
  assert.equal(after1.next_run_at, '2027-03-01T08:00:00Z');
  assert.ok(after1.last_run_at);

  // A one-shot a few seconds ahead of the daemon's clock: the scheduler starts it, then the
  // campaign is completed with nothing scheduled.
  const at = iso(Math.ceil((d.now() + 3000) / 1000) * 1000);
  const once = await create(body('Soon', { timezone: 'UTC', schedule: { at } }));
  const armed = await d.ok('POST', `/campaigns/${once.id}/start`, null, d.tokens.editor);
  assert.equal(armed.next_run_at, at);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${once.id}`), 0);
  const ran = await until(() => d.lastRunId(once.id), { timeoutMs: 15_000, what: 'the tick to start a run' });
  const r = await d.waitRun(ran);
  assert.equal(r.status, 'completed');
  assert.equal(r.trigger, 'schedule');
  assert.ok(Date.parse(r.started_at) >= Date.parse(at), `the run starts at or after its tick (${r.started_at} vs ${at})`);
  const fin = await d.waitCampaign(once.id, 'completed', 10_000);
  assert.equal(fin.next_run_at, null);
  await sleep(800);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${once.id}`), 1, 'a one-shot runs once');
});

test('editing the schedule of a paused campaign: the old tick does not fire', async () => {
  // Armed for a tick 4 s ahead, paused, then edited to a tick a year later and resumed.
  const problems = [];
  const soon = iso(Math.ceil((d.now() + 4000) / 1000) * 1000);
  const c = await create(body('Re-planned', { timezone: 'UTC', schedule: { at: soon } }));
  assert.equal((await d.ok('POST', `/campaigns/${c.id}/start`, null, d.tokens.editor)).next_run_at, soon);
  assert.equal((await d.ok('POST', `/campaigns/${c.id}/pause`, null, d.tokens.editor)).status, 'paused');
  const later = '2027-06-15T12:00:00Z';
  const put = await d.api('PUT', `/campaigns/${c.id}`, body('Re-planned', { timezone: 'UTC', schedule: { at: later } }), d.tokens.editor);
  assert.equal(put.status, 200, put.text);
  if (!(put.json.next_run_at === null || put.json.next_run_at === later)) {
    problems.push(`after PUT, next_run_at = ${put.json.next_run_at} (the old tick; expected null or ${later})`);
  }
  const res = await d.ok('POST', `/campaigns/${c.id}/resume`, null, d.tokens.editor);
  assert.equal(res.status, 'running');
  // Wait past the old tick.
  await sleep(Math.max(0, Date.parse(soon) - d.now()) + 2500);
  const runs = qInt(d.db, `SELECT count(*) FROM sw_runs WHERE campaign_id = ${c.id}`);
  if (runs !== 0) problems.push(`${runs} run(s) started at the old tick ${soon}, which the edited definition no longer has (it says ${later})`);
  const g = await d.ok('GET', `/campaigns/${c.id}`);
  if (g.next_run_at !== later) problems.push(`after resume and the old tick, next_run_at = ${g.next_run_at} (expected ${later})`);
  if (g.status !== 'running') problems.push(`status ${g.status} (expected running: a tick remains)`);
  assert.deepEqual(problems, []);
});
