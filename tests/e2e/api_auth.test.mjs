// Who may call the API (SPEC §4): bearer tokens by role, UI users signing in with a session
// cookie, and the refusals (401 without or with a bad credential, 403 for a role too low).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, addUser, q, qInt } from './lib/daemon.mjs';

let d;
let cid; // a campaign to read and (try to) change
let tid; // a template
const doc = (name) => ({
  name,
  activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'DE' } }],
  transitions: [],
});

before(async () => {
  d = await startDaemon({ profiles: 500, seed: 3 });
  addUser(d.db, 'alice', 'viewer', 'alice-password-1');
  addUser(d.db, 'bob', 'editor', 'bob-password-22');
  cid = (await d.ok('POST', '/campaigns', doc('Auth subject'))).id;
  tid = (await d.ok('POST', '/templates', doc('Auth template'))).id;
});
after(async () => {
  await closeClean(d);
});

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && r.json.error, `error body: ${r.text}`);
  if (code) assert.equal(r.json.error.code, code);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  assert.ok(Array.isArray(r.json.error.details));
}

const snapshot = () =>
  q(d.db, "SELECT group_concat(id || ':' || name || ':' || status || ':' || updated_at, ',') FROM (SELECT * FROM sw_campaigns ORDER BY id)") +
  '/' +
  q(d.db, "SELECT group_concat(id || ':' || name || ':' || updated_at, ',') FROM (SELECT * FROM sw_templates ORDER BY id)") +
  '/' +
  qInt(d.db, 'SELECT count(*) FROM sw_runs');

// Every write route, with a body where one is expected.
const writes = () => [
  ['POST', '/campaigns', doc('Should not exist')],
  ['PUT', `/campaigns/${cid}`, doc('Renamed by a viewer')],
  ['DELETE', `/campaigns/${cid}`, null],
  ['POST', `/campaigns/${cid}/duplicate`, null],
  ['POST', `/campaigns/${cid}/start`, null],
  ['POST', `/campaigns/${cid}/run-now`, null],
  ['POST', `/campaigns/${cid}/pause`, null],
  ['POST', `/campaigns/${cid}/resume`, null],
  ['POST', `/campaigns/${cid}/stop`, null],
  ['POST', `/campaigns/${cid}/retry`, null],
  ['POST', `/campaigns/${cid}/simulate`, null],
  ['POST', `/campaigns/${cid}/trigger`, { variables: {} }],
  ['POST', `/campaigns/${cid}/save-as-template`, null],
  ['POST', '/templates', doc('Template by a viewer')],
  ['PUT', `/templates/${tid}`, doc('Template renamed')],
  ['DELETE', `/templates/${tid}`, null],
  ['POST', `/templates/${tid}/instantiate`, null],
  ['POST', '/runs/1/activities/src/retry-failed', null],
  ['POST', '/runs/1/activities/src/confirm', null],
];

const reads = () => [
  '/campaigns',
  `/campaigns/${cid}`,
  `/campaigns/${cid}/runs`,
  `/campaigns/${cid}/logs`,
  `/campaigns/${cid}/schedule/preview`,
  '/templates',
  `/templates/${tid}`,
  '/dimensions',
  '/audiences',
];

test('no token, a bad token, a malformed header: 401 on reads and writes, nothing changes', async () => {
  const before = snapshot();
  const bad = [
    null,
    'swt_not-a-real-token',
    `${d.tokens.admin}x`,
    d.tokens.admin.slice(0, -1),
    { headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } },
    { headers: { Authorization: `Bearer ${d.tokens.admin} trailing` } },
    { headers: { Authorization: 'Bearer' } },
    { cookie: 'sw_session=forged-session-id' },
  ];
  for (const auth of bad) {
    for (const path of reads()) {
      const r = await d.api('GET', path, null, auth);
      assertError(r, 401);
      assert.match(r.headers.get('www-authenticate') || '', /Bearer/i, 'a 401 names the scheme');
    }
    for (const [m, path, body] of writes()) {
      assertError(await d.api(m, path, body, auth), 401);
    }
  }
  assert.equal(snapshot(), before);
  // Open endpoints need no credential.
  assert.equal((await d.api('GET', '/healthz')).status, 200);
  assert.equal((await d.api('GET', '/api/v1/healthz')).status, 200);
  assert.equal((await d.api('GET', '/metrics')).status, 200);
  assert.equal((await d.api('GET', '/openapi.json')).status, 200);
});

test('viewer: 200 on every read, 403 on every write, nothing changes', async () => {
  const before = snapshot();
  for (const path of reads()) {
    const r = await d.api('GET', path, null, d.tokens.viewer);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
  }
  for (const [m, path, body] of writes()) {
    const r = await d.api(m, path, body, d.tokens.viewer);
    assertError(r, 403, 'FORBIDDEN');
    assert.match(r.json.error.message, /editor/);
  }
  assert.equal(snapshot(), before);
});

test('editor can write and run; admin can do what an editor does', async () => {
  for (const tok of [d.tokens.editor, d.tokens.admin]) {
    const c = await d.api('POST', '/campaigns', doc('Made by a writer'), tok);
    assert.equal(c.status, 201, c.text);
    const p = await d.api('PUT', `/campaigns/${c.json.id}`, doc('Edited by a writer'), tok);
    assert.equal(p.status, 200, p.text);
    const s = await d.api('POST', `/campaigns/${c.json.id}/start`, null, tok);
    assert.equal(s.status, 200, s.text);
    await d.waitCampaign(c.json.id, 'completed', 20_000);
    const del = await d.api('DELETE', `/campaigns/${c.json.id}`, null, tok);
    assert.equal(del.status, 204, del.text);
  }
  // Tokens are stored hashed, never in clear.
  for (const tok of Object.values(d.tokens)) {
    assert.equal(qInt(d.db, `SELECT count(*) FROM sw_tokens WHERE hash = '${tok}' OR name = '${tok}'`), 0);
    const dump = q(d.db, "SELECT group_concat(coalesce(name, '') || hash, ' ') FROM sw_tokens");
    assert.ok(!dump.includes(tok), 'a token appears in clear in sw_tokens');
  }
});

function sessionCookie(r) {
  const set = r.headers.get('set-cookie');
  assert.ok(set, `Set-Cookie on sign-in: ${r.text}`);
  const m = /(?:^|,\s*)sw_session=([^;]+)/.exec(set);
  assert.ok(m, set);
  return { set, cookie: `sw_session=${m[1]}`, value: m[1] };
}

test('session: sign in sets an HttpOnly SameSite=Strict cookie the API accepts; sign out ends it', async () => {
  const r = await d.api('POST', '/session', { username: 'alice', password: 'alice-password-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.username, 'alice');
  assert.equal(r.json.role, 'viewer');
  const { set, cookie, value } = sessionCookie(r);
  assert.match(set, /;\s*HttpOnly/i);
  assert.match(set, /;\s*SameSite=Strict/i);
  assert.match(set, /;\s*Path=\//i);
  // Not stored in clear.
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_sessions WHERE hash = '${value.replace(/'/g, "''")}'`), 0);
  assert.ok(!q(d.db, "SELECT group_concat(hash, ' ') FROM sw_sessions").includes(value));
  assert.ok(!q(d.db, "SELECT group_concat(password_hash, ' ') FROM sw_users").includes('alice-password-1'));
  assert.match(q(d.db, "SELECT password_hash FROM sw_users WHERE name = 'alice'"), /^\$argon2id\$/);

  // The cookie works for reads; a viewer's session still gets 403 on writes.
  const g = await d.api('GET', '/campaigns', null, { cookie });
  assert.equal(g.status, 200, g.text);
  assert.ok(g.json.items.some((i) => i.id === cid));
  assertError(await d.api('POST', '/campaigns', doc('by alice'), { cookie }), 403, 'FORBIDDEN');
  // Among other cookies.
  assert.equal((await d.api('GET', `/campaigns/${cid}`, null, { cookie: `theme=dark; ${cookie}; other=1` })).status, 200);

  // Sign out: the cookie is cleared and no longer accepted. A write with the cookie, so it
  // must come from the same origin (api_session.test.mjs has the cross-origin refusals).
  const same = (c) => ({ headers: { Cookie: c, Origin: d.url } });
  const out = await d.api('DELETE', '/session', null, same(cookie));
  assert.ok(out.status === 204 || out.status === 200, `${out.status} ${out.text}`);
  const clear = out.headers.get('set-cookie') || '';
  assert.match(clear, /sw_session=/);
  assert.match(clear, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  assertError(await d.api('GET', '/campaigns', null, { cookie }), 401);
  // Signing out twice is harmless.
  const again = await d.api('DELETE', '/session', null, same(cookie));
  assert.ok(again.status === 204 || again.status === 200);
});

test('an editor session can write', async () => {
  const r = await d.api('POST', '/session', { username: 'bob', password: 'bob-password-22' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.role, 'editor');
  const { cookie } = sessionCookie(r);
  const same = { headers: { Cookie: cookie, Origin: d.url } }; // cookie writes: same origin only
  const c = await d.api('POST', '/campaigns', doc('By bob'), same);
  assert.equal(c.status, 201, c.text);
  assert.equal((await d.api('DELETE', `/campaigns/${c.json.id}`, null, same)).status, 204);
  await d.api('DELETE', '/session', null, same);
});

test('wrong password, unknown user, malformed sign-in: 4xx, no cookie, no session stored', async () => {
  const sessions = qInt(d.db, 'SELECT count(*) FROM sw_sessions');
  for (const body of [
    { username: 'alice', password: 'wrong-password' },
    { username: 'alice', password: '' },
    { username: 'nobody', password: 'alice-password-1' },
    { username: 'ALICE', password: 'alice-password-1' },
  ]) {
    const r = await d.api('POST', '/session', body);
    assertError(r, 401);
    assert.equal(r.headers.get('set-cookie'), null);
  }
  // The same message whether the user exists or not.
  const m1 = (await d.api('POST', '/session', { username: 'alice', password: 'nope-nope' })).json.error.message;
  const m2 = (await d.api('POST', '/session', { username: 'nobody', password: 'nope-nope' })).json.error.message;
  assert.equal(m1, m2);
  for (const body of [{ username: 'alice' }, { password: 'x' }, { username: 5, password: 'alice-password-1' }, '{"username":', '[]']) {
    const r = await d.api('POST', '/session', body);
    assertError(r, 400);
    assert.equal(r.headers.get('set-cookie'), null);
  }
  assert.equal(qInt(d.db, 'SELECT count(*) FROM sw_sessions'), sessions);
});
