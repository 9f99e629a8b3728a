// A real `stepwise serve` for the API end-to-end tests (not a test file itself).
//
//   const d = await startDaemon({ profiles: 1500 });
//   const { status, json } = await d.api('GET', '/campaigns', null, d.tokens.viewer);
//   await d.kill9(); await d.restart(); ...; await d.close();
//
// The daemon listens on a free loopback port (--listen 127.0.0.1:0; the port is read from
// its "listening on" line), on a fresh generated data source in a temporary directory.
// Its clock starts at STEPWISE_NOW (helpers.NOW) and keeps ticking; a restarted daemon is
// given the time the previous one had reached, so that waits recorded before a crash end when
// they should. Every daemon started here is killed when the test process exits, whatever
// happens; tests still call close() in their after() hooks.
import { spawn, execFileSync } from 'node:child_process';
import { BIN, NOW_MS, swEnv, sw, makeTmp, genData, iso, track, untrack } from './helpers.mjs';
import { validateResponse } from './contract.mjs';


export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** sqlite3 with a busy timeout (the daemon writes the same file concurrently). */
export function q(db, query, { json = false } = {}) {
  const args = ['-batch', '-cmd', '.timeout 10000', ...(json ? ['-json'] : ['-noheader']), db, query];
  const out = execFileSync('sqlite3', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 20_000 }).trim();
  if (json) return out ? JSON.parse(out) : [];
  return out;
}
export function qInt(db, query) {
  const s = q(db, query);
  const n = Number(s);
  if (s === '' || !Number.isInteger(n)) throw new Error(`not an integer: ${JSON.stringify(s)} from ${query}`);
  return n;
}
export function qRows(db, query) {
  return q(db, query, { json: true });
}

/** Poll fn() (sync or async) until it returns a truthy value; throws after timeoutMs. */
export async function until(fn, { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {}) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await sleep(intervalMs);
  }
}

function spawnServe(db, args, env) {
  const proc = spawn(BIN, ['serve', '--data', db, '--listen', '127.0.0.1:0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(proc);
  const state = { stdout: '', stderr: '', exit: null };
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      untrack(proc);
      state.exit = { code, signal };
      resolve(state.exit);
    });
  });
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s) => {
    if (state.stderr.length < 1_000_000) state.stderr += s;
  });
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`stepwise serve did not print its listening line in 30 s\nstdout=${state.stdout}\nstderr=${state.stderr}`));
    }, 30_000);
    proc.stdout.on('data', (s) => {
      state.stdout += s;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(state.stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`stepwise serve exited (${JSON.stringify(e)}) before listening\nstderr=${state.stderr}`));
    });
  });
  return { proc, state, exited, port };
}

/** A token of a role, created with the CLI on the data source (the last word printed). */
export function createToken(db, role) {
  const r = sw(['token', 'create', '--role', role, '--data', db], { timeout: 30_000 });
  if (r.status !== 0) throw new Error(`token create failed: ${r.status} ${r.stderr}`);
  const words = r.stdout.trim().split(/\s+/);
  return words[words.length - 1];
}

/** A UI user (password on standard input, fast Argon2 parameters for tests). */
export function addUser(db, name, role, password) {
  const r = sw(['user', 'add', name, '--role', role, '--data', db], {
    input: `${password}\n`,
    env: { STEPWISE_ARGON2_FAST: '1' },
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`user add failed: ${r.status} ${r.stderr}`);
}

/**
 * Start a daemon. Options: profiles/seed (generated data source), db/dir (reuse one),
 * args (extra serve flags), env (extra environment), tokens (create viewer/editor/admin
 * tokens, default true).
 */
export async function startDaemon({ profiles = 1500, seed = 42, db, dir, args = [], env = {}, tokens = true } = {}) {
  let tmp = null;
  if (!db) {
    tmp = makeTmp('sw-api-');
    dir = tmp.dir;
    db = genData(dir, profiles, seed);
  }
  const d = {
    db,
    dir,
    url: null,
    port: null,
    proc: null,
    tokens: {},
    starts: 0,
  };
  // The clock: one continuous virtual time from NOW across restarts (downtime included),
  // rounded up to the second when handed to a new daemon so it never goes backwards.
  let firstReal = 0;
  let cur = null;

  async function launch() {
    if (!firstReal) firstReal = Date.now();
    const extraEnv = { ...env, STEPWISE_NOW: iso(Math.ceil(d.now() / 1000) * 1000) };
    cur = spawnServe(db, args, swEnv(extraEnv));
    d.proc = cur.proc;
    d.port = await cur.port;
    d.url = `http://127.0.0.1:${d.port}`;
    d.starts++;
    return d;
  }

  /** The daemon's current clock (ms), as the test estimates it. */
  d.now = () => NOW_MS + (firstReal ? Date.now() - firstReal : 0);

  d.stderr = () => (cur ? cur.state.stderr : '');

  /** SIGTERM, wait (bounded), SIGKILL if needed; returns {code, signal, stderr}. */
  d.stop = async (timeoutMs = 15_000) => {
    if (!cur) return null;
    const c = cur;
    if (!c.state.exit) {
      c.proc.kill('SIGTERM');
      let timer;
      const t = new Promise((r) => {
        timer = setTimeout(() => r('timeout'), timeoutMs);
      });
      const first = await Promise.race([c.exited, t]);
      clearTimeout(timer); // a pending timer would keep the test process alive
      if (first === 'timeout') {
        c.proc.kill('SIGKILL');
        await c.exited;
        return { ...c.state.exit, stderr: c.state.stderr, timedOut: true };
      }
    }
    return { ...c.state.exit, stderr: c.state.stderr };
  };

  /** kill -9 and wait for the exit. */
  d.kill9 = async () => {
    if (!cur) return null;
    const c = cur;
    if (!c.state.exit) {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
    return { ...c.state.exit, stderr: c.state.stderr };
  };

  /** Start again on the same data source (after stop or kill9; stops a live one first). */
  d.restart = async () => {
    if (cur && !cur.state.exit) await d.stop();
    // A fresh port: the old one may linger.
    return launch();
  };

  /**
   * Stop (if running) and remove the temporary directory when it is ours. Returns the exit
   * of that last daemon ({code, signal, stderr, timedOut}), or null when it was not running.
   */
  d.close = async () => {
    let res = null;
    try {
      if (cur && !cur.state.exit) res = await d.stop(15_000);
    } finally {
      if (tmp) tmp.cleanup();
    }
    return res;
  };

  /**
   * One HTTP request. body: an object (sent as JSON), a string or Buffer (sent as is), or
   * null. auth: a token string (Bearer), {cookie: 'sw_session=...'}, {headers: {...}}, or
   * null. Returns {status, json, text, headers}. Every response under /api/v1 is checked
   * against api/openapi.json (lib/contract.mjs), its status included; a mismatch throws.
   * validate: false skips that, for the few tests that look at a deliberately broken
   * exchange.
   */
  d.api = async (method, path, body = null, auth = null, { timeoutMs = 30_000, headers = {}, validate = true } = {}) => {
    const h = { ...headers };
    if (typeof auth === 'string') h.Authorization = `Bearer ${auth}`;
    else if (auth && auth.cookie) h.Cookie = auth.cookie;
    else if (auth && auth.headers) Object.assign(h, auth.headers);
    let payload;
    if (body !== null && body !== undefined) {
      if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
      else payload = JSON.stringify(body);
      if (!('Content-Type' in h)) h['Content-Type'] = 'application/json';
    }
    const full = path.startsWith('/api/') || path === '/healthz' || path === '/metrics' || path.startsWith('http')
      ? path
      : `/api/v1${path}`;
    const res = await fetch(full.startsWith('http') ? full : d.url + full, {
      method,
      headers: h,
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    const out = { status: res.status, json, text, headers: res.headers };
    if (validate && !full.startsWith('http')) validateResponse(method, full, out, payload ?? null);
    return out;
  };

  /** api() that asserts the status; returns the parsed JSON. */
  d.ok = async (method, path, body = null, auth = d.tokens.admin, expect = null) => {
    const r = await d.api(method, path, body, auth);
    const want = expect ?? (method === 'POST' && /\/(campaigns|templates)$|\/(duplicate|save-as-template|instantiate)$/.test(path) ? 201 : method === 'DELETE' ? 204 : 200);
    if (r.status !== want) {
      throw new Error(`${method} ${path}: expected ${want}, got ${r.status}: ${r.text}`);
    }
    return r.json;
  };

  /** Poll GET /runs/{id} until its status is one of statuses. */
  d.waitRun = async (runId, statuses = ['completed', 'failed', 'stopped'], timeoutMs = 30_000) => {
    const want = Array.isArray(statuses) ? statuses : [statuses];
    return until(async () => {
      const r = await d.api('GET', `/runs/${runId}`, null, d.tokens.admin, { timeoutMs: 5_000 });
      return r.status === 200 && want.includes(r.json.status) ? r.json : null;
    }, { timeoutMs, what: `run ${runId} to be ${want.join('|')}` });
  };

  /** Poll GET /campaigns/{id} until its status is one of statuses. */
  d.waitCampaign = async (id, statuses, timeoutMs = 30_000) => {
    const want = Array.isArray(statuses) ? statuses : [statuses];
    return until(async () => {
      const r = await d.api('GET', `/campaigns/${id}`, null, d.tokens.admin, { timeoutMs: 5_000 });
      return r.status === 200 && want.includes(r.json.status) ? r.json : null;
    }, { timeoutMs, what: `campaign ${id} to be ${want.join('|')}` });
  };

  /** The latest run id of a campaign, from the catalog (0 when none). */
  d.lastRunId = (campaignId) =>
    qInt(db, `SELECT coalesce(max(id), 0) FROM sw_runs WHERE campaign_id = ${Number(campaignId)} AND simulation = 0`);

  d.token = (role) => createToken(db, role);

  if (tokens) {
    for (const role of ['viewer', 'editor', 'admin']) d.tokens[role] = createToken(db, role);
  }
  try {
    await launch();
  } catch (e) {
    if (tmp) tmp.cleanup();
    throw e;
  }
  return d;
}

const SANITIZER = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error:/;

/** Whether a daemon's stderr carries a sanitizer report. */
export function sanitizerReport(stderr) {
  return SANITIZER.test(stderr || '');
}

/**
 * For after() hooks: close the daemon and fail when its SIGTERM exit was not clean (exit code
 * 0, in time, no sanitizer report: under the ASan build this catches leaks and UB that no
 * response shows).
 */
export async function closeClean(d) {
  if (!d) return;
  const r = await d.close();
  if (!r) return;
  const tail = (r.stderr || '').slice(-6000);
  if (r.timedOut) throw new Error(`the daemon did not stop within 15 s of SIGTERM\n${tail}`);
  if (sanitizerReport(r.stderr)) throw new Error(`sanitizer report from the daemon:\n${tail}`);
  if (r.code !== 0) throw new Error(`the daemon exited with ${r.code} (signal ${r.signal}) on SIGTERM\n${tail}`);
}

/** A campaign document: build_audience (optional filter) → activities in a chain. */
export function chain(name, acts, extra = {}) {
  const transitions = [];
  for (let i = 1; i < acts.length; i++) transitions.push({ from: acts[i - 1].id, to: acts[i].id });
  return { name, activities: acts, transitions, ...extra };
}
