// GET/PUT /api/v1/me/preferences (issue 8 part 4): a small JSON object per user, and one per
// API token, kept in the catalog (survives a restart); bad bodies refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, addUser, qInt } from './lib/daemon.mjs';
import { sw } from './lib/helpers.mjs';

let d;

before(async () => {
  d = await startDaemon({ profiles: 200, seed: 9 });
  addUser(d.db, 'pia', 'viewer', 'pia-password-1');
  addUser(d.db, 'ole', 'editor', 'ole-password-1');
});
after(async () => {
  await closeClean(d);
});

async function session(username, password) {
  const r = await d.api('POST', '/session', { username, password });
  assert.equal(r.status, 200, r.text);
  const cookie = /sw_session=([^;]+)/.exec(r.headers.get('set-cookie'))[1];
  // Cookie writes come from the same origin (api_session.test.mjs).
  return { headers: { Cookie: `sw_session=${cookie}`, Origin: d.url } };
}

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && r.json.error, r.text);
  if (code) assert.equal(r.json.error.code, code);
}

const LIST = { columns: ['name', 'status', 'last_run_at'], sort: { by: 'updated_at', order: 'desc' }, page_size: 50, lang: 'fr', nested: { a: [1, 2, { b: null }], ok: true, x: 1.5 } };

test('round trip: empty at first, then what was put, exactly; a second put replaces it', async () => {
  const t = d.tokens.viewer;
  const first = await d.api('GET', '/me/preferences', null, t);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json, {});
  const put = await d.api('PUT', '/me/preferences', LIST, t);
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json, LIST);
  assert.deepEqual((await d.api('GET', '/me/preferences', null, t)).json, LIST);
  await d.api('PUT', '/me/preferences', { page_size: 20 }, t);
  assert.deepEqual((await d.api('GET', '/me/preferences', null, t)).json, { page_size: 20 }, 'replaced, not merged');
  // Unicode and key order survive.
  const u = { 'zé': 'ünïcødé ✓', a: 1, 'm\u00e9': [] };
  await d.api('PUT', '/me/preferences', u, t);
  const back = await d.api('GET', '/me/preferences', null, t);
  assert.deepEqual(back.json, u);
  assert.deepEqual(Object.keys(back.json), Object.keys(u));
});

test('per user and per token: nobody sees or changes another one\'s preferences', async () => {
  const pia = await session('pia', 'pia-password-1');
  const ole = await session('ole', 'ole-password-1');
  assert.equal((await d.api('PUT', '/me/preferences', { who: 'pia' }, pia)).status, 200);
  assert.equal((await d.api('PUT', '/me/preferences', { who: 'ole' }, ole)).status, 200);
  assert.equal((await d.api('PUT', '/me/preferences', { who: 'editor token' }, d.tokens.editor)).status, 200);
  assert.deepEqual((await d.api('GET', '/me/preferences', null, pia)).json, { who: 'pia' });
  assert.deepEqual((await d.api('GET', '/me/preferences', null, ole)).json, { who: 'ole' });
  assert.deepEqual((await d.api('GET', '/me/preferences', null, d.tokens.editor)).json, { who: 'editor token' });
  assert.deepEqual((await d.api('GET', '/me/preferences', null, d.tokens.admin)).json, {}, 'another token has its own (none yet)');
  // A second session of the same user shares the user's preferences.
  const pia2 = await session('pia', 'pia-password-1');
  assert.deepEqual((await d.api('GET', '/me/preferences', null, pia2)).json, { who: 'pia' });
  // In the catalog: one row per owner.
  assert.equal(qInt(d.db, "SELECT count(*) FROM sw_preferences WHERE user_id = (SELECT id FROM sw_users WHERE name = 'pia')"), 1);
  // A viewer may keep preferences (it is not a campaign write), but cookie rules still apply.
  assertError(await d.api('PUT', '/me/preferences', { who: 'x' }, { headers: { Cookie: pia.headers.Cookie, Origin: 'http://evil.example' } }), 403, 'FORBIDDEN');
  assertError(await d.api('PUT', '/me/preferences', JSON.stringify({ who: 'x' }), { headers: { ...pia.headers, 'Content-Type': 'text/plain' } }), 415);
  assert.deepEqual((await d.api('GET', '/me/preferences', null, pia)).json, { who: 'pia' });
});

test('bad bodies: not an object 400, not JSON 400, over 16 KiB 413; nothing changes', async () => {
  const t = d.tokens.admin;
  await d.api('PUT', '/me/preferences', { keep: 1 }, t);
  for (const body of ['[1, 2]', '"text"', '42', 'null', '{"a": 1', '{"a": 1, "a": 2}', '']) {
    const r = await d.api('PUT', '/me/preferences', body, t, { headers: { 'Content-Type': 'application/json' } });
    assertError(r, 400);
    assert.ok(r.json.error.details.length > 0, `details for ${JSON.stringify(body)}: ${r.text}`);
  }
  const big = { blob: 'x'.repeat(16 * 1024) };
  assertError(await d.api('PUT', '/me/preferences', big, t), 413);
  // Just under the cap is fine.
  const fits = { blob: 'y'.repeat(16 * 1024 - 20) };
  assert.equal((await d.api('PUT', '/me/preferences', fits, t)).status, 200);
  assert.deepEqual((await d.api('GET', '/me/preferences', null, t)).json, fits);
  assertError(await d.api('GET', '/me/preferences'), 401);
  assertError(await d.api('PUT', '/me/preferences', { a: 1 }), 401);
});

test('preferences survive a restart; a revoked token\'s go with it', async () => {
  const token = d.token('viewer');
  await d.api('PUT', '/me/preferences', { mine: true }, token);
  await d.restart();
  assert.deepEqual((await d.api('GET', '/me/preferences', null, token)).json, { mine: true });
  const id = (await d.api('GET', '/session', null, token)).json.token_id;
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_preferences WHERE token_id = ${id}`), 1);
  const r = sw(['token', 'revoke', String(id), '--data', d.db]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_preferences WHERE token_id = ${id}`), 0);
});
