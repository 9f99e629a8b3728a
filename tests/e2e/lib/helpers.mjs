// Shared helpers for the end-to-end tests (not a test file itself: node --test only picks
// up *.test.mjs). Every expected count in the tests is computed with SQL written here, in
// the tests, and run through the sqlite3 command-line shell: never with the engine's SQL.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCampaignDocument } from './contract.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..', '..');
export const BIN = process.env.STEPWISE_BIN || path.join(ROOT, 'build', 'stepwise');

export const NOW = '2026-06-15T12:00:00Z';
export const NOW_MS = Date.parse(NOW);
export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

if (!existsSync(BIN)) {
  throw new Error(`stepwise binary not found at ${BIN}: build it or set STEPWISE_BIN`);
}

/** The environment of every stepwise call: a fixed clock, nothing inherited that changes behaviour. */
export function swEnv(extra = {}) {
  const env = { ...process.env, STEPWISE_NOW: NOW, ...extra };
  for (const k of ['STEPWISE_DATA', 'STEPWISE_EXPORT_DIR', 'STEPWISE_ALERT_WEBHOOK']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

/** Run stepwise; never throws. Returns {status, signal, stdout, stderr, ms}. */
export function sw(args, { env = {}, timeout = 120_000, input } = {}) {
  const t0 = Date.now();
  const r = spawnSync(BIN, args, {
    env: swEnv(env),
    encoding: 'utf8',
    timeout,
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error;
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    ms: Date.now() - t0,
    timedOut: !!(r.error && r.error.code === 'ETIMEDOUT'),
  };
}

/** A temp dir, removed by the returned cleanup function. */
export function makeTmp(prefix = 'sw-e2e-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let docCounter = 0;
/** Write a campaign document (object or raw text) to a file in dir; returns its path. */
export function writeDoc(dir, doc, name) {
  const file = path.join(dir, name || `doc-${process.pid}-${++docCounter}.json`);
  writeFileSync(file, typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : JSON.stringify(doc, null, 1));
  return file;
}

/** stepwise run --json; returns {res, out} where out is the parsed JSON (or null). */
export function runDoc(dir, db, doc, extra = [], opts = {}) {
  const file = writeDoc(dir, doc);
  const res = sw(['run', file, '--data', db, '--json', ...extra], opts);
  let out = null;
  try {
    out = JSON.parse(res.stdout);
  } catch {
    out = null;
  }
  return { res, out };
}

/** Like runDoc but asserts a completed run (exit 0); returns the parsed JSON. The document
 * must also match api/schemas/campaign.json: the schema may not be stricter than the engine. */
export function runOk(dir, db, doc, extra = [], opts = {}) {
  const { res, out } = runDoc(dir, db, doc, extra, opts);
  if (res.status !== 0 || !out || out.run.status !== 'completed') {
    throw new Error(
      `run failed: status=${res.status} signal=${res.signal}\nstdout=${res.stdout}\nstderr=${res.stderr}`,
    );
  }
  if (typeof doc === 'object' && !Buffer.isBuffer(doc)) checkCampaignDocument(doc, 'stepwise run');
  return out;
}

/** Plain sqlite3 query: rows of '|'-separated text. */
export function sql(db, query) {
  return execFileSync('sqlite3', ['-batch', '-noheader', db, query], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

/** One integer. */
export function sqlInt(db, query) {
  const s = sql(db, query);
  const n = Number(s);
  if (s === '' || !Number.isInteger(n)) throw new Error(`not an integer: ${JSON.stringify(s)} from ${query}`);
  return n;
}

/** Rows as objects (sqlite3 -json). */
export function sqlRows(db, query) {
  const s = execFileSync('sqlite3', ['-batch', '-json', db, query], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
  return s ? JSON.parse(s) : [];
}

/** A column of values (first column of each row), as strings. */
export function sqlList(db, query) {
  const s = sql(db, query);
  return s === '' ? [] : s.split('\n');
}

/** ISO 'YYYY-MM-DDTHH:MM:SSZ' (the demo data's format) of an instant. */
export function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The cutoff of within_last d at STEPWISE_NOW, as an ISO literal. */
export function ago(ms) {
  return iso(NOW_MS - ms);
}

/** SQL text literal. */
export function lit(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/**
 * The engine's clock starts at STEPWISE_NOW and keeps ticking, so its "within_last" cutoff is
 * a few seconds later than ours. Move rows whose date falls just after a cutoff to well
 * before it, so the data cannot straddle the two cutoffs.
 */
export function clearMargin(db, table, col, cutoffIso, marginMs = 15 * MIN) {
  const c = Date.parse(cutoffIso);
  sql(
    db,
    `UPDATE ${table} SET ${col} = ${lit(iso(c - marginMs))} ` +
      `WHERE ${col} >= ${lit(iso(c - 2 * SEC))} AND ${col} < ${lit(iso(c + marginMs))};`,
  );
}

/** Generate a demo data source. */
export function genData(dir, profiles = 3000, seed = 42, name = 'data.db') {
  const db = path.join(dir, name);
  const r = sw(['demo-data', '--out', db, '--profiles', String(profiles), '--seed', String(seed)]);
  if (r.status !== 0) throw new Error(`demo-data failed: ${r.status} ${r.stderr}`);
  return db;
}

/** Names of work tables currently in the data source. */
export function workTables(db) {
  return sqlList(db, "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'wt\\_%' ESCAPE '\\' ORDER BY name");
}

/** The outputs JSON of a task of a run, parsed. */
export function taskOutputs(db, runId, activity) {
  const s = sql(db, `SELECT outputs FROM sw_tasks WHERE run_id = ${Number(runId)} AND activity = ${lit(activity)}`);
  return s ? JSON.parse(s) : null;
}

/** Keys of the work table behind a port of a task (run kept with keep_interim_results). */
export function portKeys(db, runId, activity, port) {
  const o = taskOutputs(db, runId, activity);
  const t = o && o[port] && o[port].table;
  if (!t) throw new Error(`no table for ${activity}.${port} in run ${runId}: ${JSON.stringify(o)}`);
  return sqlList(db, `SELECT _key FROM "${t}" ORDER BY _key`).map(Number);
}

/** RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      quoted = true;
      any = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      any = true;
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      any = false;
      i += 2;
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      any = false;
      i++;
    } else {
      field += ch;
      any = true;
      i++;
    }
  }
  if (any || field !== '') {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Sorted numeric copy. */
export function sorted(a) {
  return [...a].map(Number).sort((x, y) => x - y);
}

/* Child processes (daemons, SMTP sinks) killed when the test process exits, whatever
 * happens: track(proc) on start, untrack(proc) once it is gone. */
const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});
export const track = (proc) => live.add(proc);
export const untrack = (proc) => live.delete(proc);
