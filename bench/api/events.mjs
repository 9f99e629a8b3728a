#!/usr/bin/env node
// events.mjs - does the live feed (GET /api/v1/events) slow the API? API request latency with
// 0 and with N open Server-Sent Events feeds, while events flow to them.
//
// usage: node bench/api/events.mjs [--bin PATH] [--feeds 200] [--requests 2000]
//                                  [--profiles 5000] [--runs-per-second 5] [--json OUT]
//
// It builds a data source in a temporary directory (stepwise demo-data), an admin token, 20
// small campaigns, then starts `stepwise serve` (default settings: 4 HTTP threads) and, for
// each phase (0 feeds, then --feeds feeds):
//   - opens the feeds (each its own connection, reading all the time) and checks that each
//     got its response headers;
//   - keeps events flowing: a loop starts a run of one of the campaigns every
//     1/--runs-per-second s (run-now; each run writes about 6 events: run, tasks, campaign),
//     so that every feed has something to receive during the measurement;
//   - measures --requests API requests, sequential, on one keep-alive connection, cycling
//     through GET /api/v1/campaigns?limit=50, GET /api/v1/campaigns/{id},
//     GET /api/v1/campaigns/{id}/runs and GET /api/v1/healthz (after 50 untimed ones), the
//     time from writing the request to the last byte of the response.
// Prints median, p90, p99 and max per phase, the events each feed received (min/max), and
// exits 1 when a request failed or a feed received nothing.
//
// Environment: STEPWISE_BIN (default ./build/stepwise), when --bin is not given.
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchArgs, benchBinary } from '../lib.mjs';

const args = benchArgs();
const bin = benchBinary(args, 'events.mjs');
const FEEDS = Number(args.feeds || 200);
const REQUESTS = Number(args.requests || 2000);
const PROFILES = Number(args.profiles || 5000);
const RUNS_PER_SECOND = Number(args['runs-per-second'] || 5);
const WARMUP = 50;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-bench-events-'));
const db = path.join(dir, 'data.db');
let daemon = null;
function cleanup() {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);

execFileSync(bin, ['demo-data', '--profiles', String(PROFILES), '--out', db], { stdio: 'ignore' });
const token = execFileSync(bin, ['token', 'create', '--role', 'admin', '--data', db], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).pop();

daemon = spawn(bin, ['serve', '--data', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
daemon.stderr.on('data', (s) => (stderr += s));
const port = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    daemon.stdout.on('data', (s) => {
        out += s;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
        }
    });
    daemon.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
});

const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
function request(agent, method, p, body = null) {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const h = { ...headers };
        if (body) h['Content-Type'] = 'application/json';
        const req = http.request({ host: '127.0.0.1', port, path: p, method, agent, headers: h }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () =>
                resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - t0) / 1e6 }),
            );
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body ? JSON.stringify(body) : undefined);
    });
}

// Campaigns: small ones (build_audience + enrich), started once so that run-now may be used.
const setup = new http.Agent({ keepAlive: true, maxSockets: 1 });
const ids = [];
for (let i = 0; i < 20; i++) {
    const doc = {
        name: `Bench events ${i}`,
        activities: [
            { id: 'some', type: 'build_audience', filter: { field: 'id', op: 'le', value: 200 + i } },
            { id: 'value', type: 'enrich', columns: [{ name: 'n_orders', link: 'orders', aggregate: 'count' }] },
        ],
        transitions: [{ from: 'some', to: 'value' }],
    };
    const r = await request(setup, 'POST', '/api/v1/campaigns', doc);
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
    const id = JSON.parse(r.body).id;
    ids.push(id);
    const s = await request(setup, 'POST', `/api/v1/campaigns/${id}/start`);
    if (s.status !== 200) throw new Error(`start: ${s.status} ${s.body}`);
}

function openFeeds(n) {
    const feeds = [];
    const opened = [];
    for (let i = 0; i < n; i++) {
        const f = { events: 0, bytes: 0, req: null };
        opened.push(
            new Promise((resolve, reject) => {
                f.req = http.request({ host: '127.0.0.1', port, path: '/api/v1/events', headers: { ...headers, Accept: 'text/event-stream' }, agent: false }, (res) => {
                    if (res.statusCode !== 200) reject(new Error(`feed: HTTP ${res.statusCode}`));
                    res.setEncoding('utf8');
                    res.on('data', (s) => {
                        f.bytes += s.length;
                        f.events += (s.match(/^id: /gm) || []).length;
                    });
                    res.on('error', () => {});
                    resolve();
                });
                f.req.on('error', (e) => {
                    if (!f.closed) reject(e);
                });
                f.req.end();
            }),
        );
        feeds.push(f);
    }
    return Promise.all(opened).then(() => feeds);
}

// Event traffic: run-now on the campaigns in turn (409 while one is still running is fine).
function traffic() {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let stop = false;
    let n = 0;
    const loop = (async () => {
        while (!stop) {
            const id = ids[n++ % ids.length];
            await request(agent, 'POST', `/api/v1/campaigns/${id}/run-now`).catch(() => {});
            await new Promise((r) => setTimeout(r, 1000 / RUNS_PER_SECOND));
        }
    })();
    return async () => {
        stop = true;
        await loop;
        agent.destroy();
    };
}

const q = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
async function measure() {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const paths = (i) => {
        const id = ids[i % ids.length];
        return ['/api/v1/campaigns?limit=50', `/api/v1/campaigns/${id}`, `/api/v1/campaigns/${id}/runs`, '/api/v1/healthz'][i % 4];
    };
    const times = [];
    let failures = 0;
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
        const r = await request(agent, 'GET', paths(i));
        if (r.status !== 200) failures++;
        if (i >= WARMUP) times.push(r.ms);
    }
    agent.destroy();
    times.sort((a, b) => a - b);
    return { n: times.length, failures, median: q(times, 0.5), p90: q(times, 0.9), p99: q(times, 0.99), max: times[times.length - 1] };
}

const results = {};
let bad = false;
for (const n of [0, FEEDS]) {
    const feeds = await openFeeds(n);
    const stopTraffic = traffic();
    await new Promise((r) => setTimeout(r, 1000)); // let events flow first
    const m = await measure();
    await stopTraffic();
    await new Promise((r) => setTimeout(r, 500));
    const got = feeds.map((f) => f.events);
    m.feeds = n;
    m.events_min = n ? Math.min(...got) : null;
    m.events_max = n ? Math.max(...got) : null;
    for (const f of feeds) {
        f.closed = true;
        f.req.destroy();
    }
    results[`feeds_${n}`] = m;
    if (m.failures || (n && m.events_min === 0)) bad = true;
}

const fmt = (x) => (x === null ? '-' : typeof x === 'number' ? x.toFixed(2) : String(x));
console.log(`API latency (ms) with open event feeds; ${REQUESTS} sequential GETs per phase, ~${RUNS_PER_SECOND} runs/s writing events`);
console.log('feeds  requests  failures  median     p90     p99     max  events/feed (min..max)');
for (const m of Object.values(results)) {
    console.log(
        `${String(m.feeds).padStart(5)}  ${String(m.n).padStart(8)}  ${String(m.failures).padStart(8)}  ${fmt(m.median).padStart(6)}  ${fmt(m.p90).padStart(6)}  ${fmt(m.p99).padStart(6)}  ${fmt(m.max).padStart(6)}  ${m.feeds ? `${m.events_min}..${m.events_max}` : '-'}`,
    );
}
if (args.json) fs.writeFileSync(args.json, JSON.stringify(results, null, 2));
daemon.kill('SIGTERM');
await new Promise((r) => daemon.on('exit', r));
process.exit(bad ? 1 : 0);
