// Sessions a browser can trust (issue 8 part 2, SPEC §4): writes with the session cookie only
// from the same origin and with a JSON body (403 / 415 otherwise), bearer tokens unaffected;
// GET /session; sign-in throttling per user name (429 with Retry-After, backing off, without
// slowing anyone else); security headers on every response.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, closeClean, addUser, qInt, sleep } from './lib/daemon.mjs';
import { openFeed } from './lib/sse.mjs';

let d;
const doc = (name) => ({
  name,
  activities: [{ id: 'src', type: 'build_audience', filter: { field: 'country', op: 'eq', value: 'DE' } }],
  transitions: [],
});

before(async () => {
  d = await startDaemon({ profiles: 300, seed: 5 });
  addUser(d.db, 'erin', 'editor', 'erin-password-1');
  addUser(d.db, 'carol', 'viewer', 'carol-password-1');
  addUser(d.db, 'dave', 'viewer', 'dave-password-1');
  addUser(d.db, 'vera', 'viewer', 'vera-password-1');
});
after(async () => {
  await closeClean(d);
});

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && r.json.error, `error envelope: ${r.text}`);
  if (code) assert.equal(r.json.error.code, code);
  assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 0);
  assert.ok(Array.isArray(r.json.error.details));
}

async function signIn(username, password, headers = {}) {
  const r = await d.api('POST', '/session', { username, password }, null, { headers });
  assert.equal(r.status, 200, r.text);
  const m = /sw_session=([^;]+)/.exec(r.headers.get('set-cookie') || '');
  assert.ok(m, `Set-Cookie: ${r.headers.get('set-cookie')}`);
  return { cookie: `sw_session=${m[1]}`, body: r.json };
}

const campaigns = () => qInt(d.db, 'SELECT count(*) FROM sw_campaigns');

test('cookie writes: cross-origin, origin-less and text/plain refused (403/415), same origin with JSON accepted', async () => {
  const { cookie } = await signIn('erin', 'erin-password-1');
  const as = (headers) => ({ headers: { Cookie: cookie, ...headers } });
  const before = campaigns();

  // Another origin: another host, another port of the same host, another scheme, "null".
  const port = Number(new URL(d.url).port);
  for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}x`, 'null', `http://localhost:${port}`]) {
    assertError(await d.api('POST', '/campaigns', doc('cross'), as({ Origin: origin })), 403, 'FORBIDDEN');
  }
  // Sec-Fetch-Site other than same-origin (no Origin), and no word at all where it comes from.
  for (const site of ['cross-site', 'same-site', 'none']) {
    assertError(await d.api('POST', '/campaigns', doc('site'), as({ 'Sec-Fetch-Site': site })), 403, 'FORBIDDEN');
  }
  const bare = await d.api('POST', '/campaigns', doc('no origin'), as({}));
  assertError(bare, 403, 'FORBIDDEN');
  assert.equal(bare.json.error.details[0].path, 'Origin');
  // A mismatching Origin wins over a same-origin Sec-Fetch-Site.
  assertError(await d.api('POST', '/campaigns', doc('both'), as({ Origin: 'http://evil.example', 'Sec-Fetch-Site': 'same-origin' })), 403, 'FORBIDDEN');
  // The same origin, but not JSON: what a cross-site form could send.
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
    const r = await d.api('POST', '/campaigns', JSON.stringify(doc('plain')), as({ Origin: d.url, 'Content-Type': ct }));
    assertError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
  }
  assert.equal(campaigns(), before, 'nothing was created by a refused request');

  // Accepted: same Origin + JSON, or Sec-Fetch-Site: same-origin; parameters on the type are fine.
  const ok = await d.api('POST', '/campaigns', doc('same origin'), as({ Origin: d.url }));
  assert.equal(ok.status, 201, ok.text);
  const ok2 = await d.api('POST', '/campaigns', JSON.stringify(doc('fetch metadata')), as({ 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'Application/JSON; charset=utf-8' }));
  assert.equal(ok2.status, 201, ok2.text);
  // Without a port, an http origin is port 80: not this server.
  assertError(await d.api('POST', '/campaigns', doc('port 80'), as({ Origin: d.url.replace(/:\d+$/, '') })), 403);

  // Cross-origin DELETE and body-less writes: refused, the campaign stays.
  const id = ok.json.id;
  assertError(await d.api('DELETE', `/campaigns/${id}`, null, as({ Origin: 'http://evil.example' })), 403, 'FORBIDDEN');
  assertError(await d.api('POST', `/campaigns/${id}/duplicate`, 'x', as({ Origin: 'http://evil.example', 'Content-Type': 'text/plain' })), 403, 'FORBIDDEN');
  assertError(await d.api('DELETE', `/campaigns/${id}`, null, as({})), 403, 'FORBIDDEN');
  assert.equal(qInt(d.db, `SELECT count(*) FROM sw_campaigns WHERE id = ${id}`), 1);
  // A same-origin duplicate with text/plain and a body: 415; with no body at all: fine.
  assertError(await d.api('POST', `/campaigns/${id}/duplicate`, 'x', as({ Origin: d.url, 'Content-Type': 'text/plain' })), 415);
  const dup = await d.api('POST', `/campaigns/${id}/duplicate`, null, as({ Origin: d.url }));
  assert.equal(dup.status, 201, dup.text);
  assert.equal((await d.api('DELETE', `/campaigns/${id}`, null, as({ Origin: d.url }))).status, 204);
  // Reads are not writes: a cross-origin GET with the cookie is answered (the browser keeps
  // the body from the other page; CORS is never granted).
  assert.equal((await d.api('GET', '/campaigns', null, as({ Origin: 'http://evil.example' }))).status, 200);
});

test('bearer tokens are unaffected: any Origin, any Content-Type', async () => {
  const headers = { Authorization: `Bearer ${d.tokens.editor}`, Origin: 'http://evil.example' };
  const r = await d.api('POST', '/campaigns', doc('by token'), { headers });
  assert.equal(r.status, 201, r.text);
  const r2 = await d.api('POST', '/campaigns', JSON.stringify(doc('by token, text/plain')), { headers: { ...headers, 'Content-Type': 'text/plain' } });
  assert.equal(r2.status, 201, r2.text);
  assert.equal((await d.api('DELETE', `/campaigns/${r.json.id}`, null, { headers })).status, 204);
});

test('sign-in refuses cross-origin and non-JSON requests; a client without Origin may sign in', async () => {
  const body = { username: 'erin', password: 'erin-password-1' };
  const cross = await d.api('POST', '/session', body, null, { headers: { Origin: 'http://evil.example' } });
  assertError(cross, 403, 'FORBIDDEN');
  assert.equal(cross.headers.get('set-cookie'), null);
  assertError(await d.api('POST', '/session', body, null, { headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403);
  const plain = await d.api('POST', '/session', JSON.stringify(body), null, { headers: { 'Content-Type': 'text/plain' } });
  assertError(plain, 415, 'UNSUPPORTED_MEDIA_TYPE');
  assert.equal(plain.headers.get('set-cookie'), null);
  await signIn('erin', 'erin-password-1', { Origin: d.url });
  await signIn('erin', 'erin-password-1');
  // Signing someone out from another origin is refused too.
  const { cookie } = await signIn('erin', 'erin-password-1');
  assertError(await d.api('DELETE', '/session', null, { headers: { Cookie: cookie, Origin: 'http://evil.example' } }), 403);
  assert.equal((await d.api('GET', '/session', null, { cookie })).status, 200, 'still signed in');
  assert.equal((await d.api('DELETE', '/session', null, { headers: { Cookie: cookie, Origin: d.url } })).status, 204);
  assertError(await d.api('GET', '/session', null, { cookie }), 401);
});

test('GET /session: the user, role and expiry for a cookie; the token for a bearer; 401 for nobody', async () => {
  const t0 = Date.now();
  const { cookie, body } = await signIn('vera', 'vera-password-1');
  assert.equal(body.username, 'vera');
  assert.equal(body.role, 'viewer');
  const r = await d.api('GET', '/session', null, { cookie });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.auth, 'session');
  assert.equal(r.json.username, 'vera');
  assert.equal(r.json.role, 'viewer');
  assert.match(r.json.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // 12 hours after sign-in, on the daemon's clock (which started at STEPWISE_NOW).
  const left = Date.parse(r.json.expires_at) - d.now();
  assert.ok(left > 11.9 * 3600e3 && left <= 12 * 3600e3 + (Date.now() - t0) + 2000, `expires in ${left} ms`);
  assert.equal(body.expires_at, r.json.expires_at);

  const t = await d.api('GET', '/session', null, d.tokens.admin);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.auth, 'token');
  assert.equal(t.json.role, 'admin');
  assert.ok(Number.isInteger(t.json.token_id) && t.json.token_id > 0);
  assert.equal(t.json.expires_at, null);
  assert.equal(t.json.username, undefined);
  const ids = new Set();
  for (const role of ['viewer', 'editor', 'admin']) ids.add((await d.api('GET', '/session', null, d.tokens[role])).json.token_id);
  assert.equal(ids.size, 3, 'each token has its own id');

  const none = await d.api('GET', '/session');
  assertError(none, 401, 'UNAUTHORIZED');
  assertError(await d.api('GET', '/session', null, { cookie: 'sw_session=forged' }), 401);
});

test('sign-in throttling: the 6th bad password in a row gets 429 with Retry-After, backing off; others are not slowed; a success resets', async () => {
  const bad = (user) => d.api('POST', '/session', { username: user, password: 'not-the-password' });
  for (let i = 1; i <= 5; i++) assertError(await bad('carol'), 401, 'UNAUTHORIZED');
  const sixth = await bad('carol');
  assertError(sixth, 429, 'TOO_MANY_REQUESTS');
  const wait1 = Number(sixth.headers.get('retry-after'));
  assert.ok(Number.isInteger(wait1) && wait1 >= 1, `Retry-After: ${sixth.headers.get('retry-after')}`);
  // The right password does not get through a wait either (else guessing would go on).
  assertError(await d.api('POST', '/session', { username: 'carol', password: 'carol-password-1' }), 429);
  assert.equal(sixth.headers.get('set-cookie'), null);

  // Someone else, from the same address, at the same time: answered at once, not throttled.
  const t0 = Date.now();
  assertError(await bad('dave'), 401, 'UNAUTHORIZED');
  const dave = await signIn('dave', 'dave-password-1');
  assert.ok(Date.now() - t0 < 2000, 'dave was not slowed');
  assert.equal(dave.body.username, 'dave');

  // Backing off: after the wait, one more failure makes the next wait longer.
  await sleep(wait1 * 1000 + 100);
  assertError(await bad('carol'), 401);
  const again = await bad('carol');
  assertError(again, 429);
  const wait2 = Number(again.headers.get('retry-after'));
  assert.ok(wait2 > wait1, `the wait grows: ${wait1} s then ${wait2} s`);

  // After it, the right password signs in, and the count starts over.
  await sleep(wait2 * 1000 + 100);
  await signIn('carol', 'carol-password-1');
  for (let i = 1; i <= 5; i++) assertError(await bad('carol'), 401);
  assertError(await bad('carol'), 429);
  // Unknown names are throttled the same way (nothing tells them apart).
  for (let i = 1; i <= 5; i++) assertError(await bad('nobody-here'), 401);
  assertError(await bad('nobody-here'), 429);
});

const SECURITY = {
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^(no-referrer|same-origin|strict-origin-when-cross-origin)$/,
  'content-security-policy': /default-src 'self'.*frame-ancestors 'none'/,
};

function assertSecurityHeaders(headers, what) {
  const get = (k) => (typeof headers.get === 'function' ? headers.get(k) : headers[k]);
  for (const [k, re] of Object.entries(SECURITY)) {
    assert.match(get(k) || '', re, `${k} on ${what}`);
  }
  const csp = get('content-security-policy');
  for (const directive of ["script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'self'"]) {
    assert.ok(csp.includes(directive), `${directive} in the CSP of ${what}: ${csp}`);
  }
}

test('security headers on every response: JSON, errors, HTML, text, the event stream', async () => {
  const cases = [
    ['GET', '/campaigns', d.tokens.viewer, 200],
    ['GET', '/campaigns', null, 401],
    ['GET', '/nope', d.tokens.viewer, 404],
    ['POST', '/campaigns', d.tokens.viewer, 403],
    ['GET', '/healthz', null, 200],
    ['GET', '/metrics', null, 200],
    ['GET', '/openapi.json', null, 200],
    ['GET', `${d.url}/`, null, 200],
  ];
  for (const [m, p, auth, status] of cases) {
    const r = await d.api(m, p, m === 'POST' ? doc('x') : null, auth);
    assert.equal(r.status, status, `${m} ${p}: ${r.text.slice(0, 200)}`);
    assertSecurityHeaders(r.headers, `${m} ${p} (${status})`);
  }
  const feed = await openFeed(d.url, { token: d.tokens.viewer });
  try {
    assert.equal(feed.status, 200);
    assert.match(feed.headers['content-type'], /^text\/event-stream/);
    assertSecurityHeaders(feed.headers, 'GET /events');
  } finally {
    feed.close();
  }
});

test('sign-in throttling per client address: failures for many names from one address make it wait', async () => {
  // Last in this file: from here on, this address waits. The first waits are 1 s and 2 s, less
  // than one attempt may take on a loaded machine under ASan: go on failing (after each wait)
  // until the address must wait 4 s or more, so that the check below falls inside the wait.
  let r;
  let throttled = 0;
  for (let i = 0; i < 60; i++) {
    r = await d.api('POST', '/session', { username: `spray-${i}`, password: 'not-the-password' });
    if (r.status !== 429) {
      assertError(r, 401);
      continue;
    }
    assertError(r, 429, 'TOO_MANY_REQUESTS');
    throttled++;
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait >= 1, `Retry-After: ${wait}`);
    if (wait >= 4) break;
    await sleep(wait * 1000 + 50);
  }
  assert.ok(throttled > 0 && Number(r.headers.get('retry-after')) >= 4, 'the address waits, longer each time');
  // A name never tried before waits too: the address is what is throttled now.
  assertError(await d.api('POST', '/session', { username: 'fresh-name', password: 'not-the-password' }), 429);
});
