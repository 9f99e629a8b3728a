// redirect.mjs - how fast the public listener answers tracked links (issue 13): requests/s and
// latency of GET /c/{token} (302 to the destination) and GET /o/{token} (the pixel) under
// autocannon, with every answered request checked against what the recorder wrote.
//
// usage: node bench/tracking/redirect.mjs [--bin PATH] [--connections 16] [--duration 10]
//                                         [--profiles 2000]
//
// It builds a data source in a temporary directory (stepwise demo-data), sends one tracked
// campaign to a Maildir (stepwise run --smtp-url maildir:DIR --public-url ...), takes one
// message's click link and pixel from its HTML part, starts `stepwise serve` with the public
// listener on loopback, and runs autocannon (the npm package, pinned in package-lock.json) on
// each URL for --duration seconds with --connections connections, each request with a browser's
// User-Agent. Then it waits for the recorder to drain and checks that the click row of that
// message counts every 302 autocannon saw (and the open row every 200), less the drops
// /metrics reports (and at most one more per connection: requests in flight when autocannon
// stops are answered and recorded, not counted by it). Prints one table; exits 1 when a check fails or a request was not 302/200.
//
// Environment: STEPWISE_BIN (default ./build/stepwise), when --bin is not given.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { benchArgs, benchBinary } from '../lib.mjs';
import autocannon from 'autocannon';
import { parseMime } from '../../tests/e2e/lib/mime.mjs';

const args = benchArgs();
const bin = benchBinary(args, 'redirect.mjs');
const CONNECTIONS = Number(args.connections || 16);
const DURATION = Number(args.duration || 10);
const PROFILES = Number(args.profiles || 2000);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

const freePort = () =>
    new Promise((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-bench-track-'));
const db = path.join(dir, 'data.db');
const box = path.join(dir, 'box');
const port = await freePort();
const apiPort = await freePort();
const pub = `http://127.0.0.1:${port}`;
let daemon;
let status = 0;
try {
    execFileSync(bin, ['demo-data', '--out', db, '--profiles', String(PROFILES)], { stdio: 'ignore' });
    const doc = {
        name: 'bench tracking',
        activities: [
            { id: 'aud', type: 'build_audience', filter: { field: 'id', op: 'le', value: 50 } },
            {
                id: 'mail', type: 'email', to_field: 'email', from: 'shop@example.com', subject: 'Hello', text: 'Hello.',
                html: '<html><body><p><a href="https://shop.example.com/autumn?utm_source=email&amp;utm_campaign=autumn">Shop</a></p></body></html>',
                tracking: { opens: true, clicks: true },
            },
        ],
        transitions: [{ from: 'aud', to: 'mail' }],
    };
    const docPath = path.join(dir, 'doc.json');
    fs.writeFileSync(docPath, JSON.stringify(doc));
    const run = spawnSync(bin, ['run', docPath, '--data', db, '--smtp-url', `maildir:${box}`, '--public-url', pub], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`stepwise run failed: ${run.stderr}`);
    const file = fs.readdirSync(path.join(box, 'new'))[0];
    const html = parseMime(fs.readFileSync(path.join(box, 'new', file), 'utf8')).parts.find((p) => p.type === 'text/html').text;
    const click = /href="([^"]*\/c\/[A-Za-z0-9_-]+)"/.exec(html)[1];
    const open = /<img src="([^"]*\/o\/[A-Za-z0-9_-]+)"/.exec(html)[1];
    const row = Number(sql(db, `SELECT id FROM sw_deliveries WHERE state = 'sent' ORDER BY id LIMIT 1`));

    daemon = spawn(bin, ['serve', '--data', db, '--listen', `127.0.0.1:${apiPort}`, '--public-listen', `127.0.0.1:${port}`, '--public-url', pub], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    daemon.stderr.on('data', (b) => (err += b));
    for (let i = 0; i < 100; i++) {
        const ok = await fetch(`http://127.0.0.1:${apiPort}/healthz`).then((r) => r.ok, () => false);
        if (ok) break;
        if (i === 99) throw new Error(`the daemon did not start: ${err}`);
        await sleep(100);
    }

    const rows = [];
    for (const [what, url, expect, kind] of [['click (302)', click, '3xx', 'c'], ['open pixel (200)', open, '2xx', 'o']]) {
        const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers: { 'user-agent': UA } });
        const answered = r[expect];
        const others = r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'] - answered + r.errors + r.timeouts;
        // wait for the recorder to drain, then compare with what it wrote for this message
        let recorded = -1;
        for (let i = 0; i < 100; i++) {
            const now = Number(sql(db, `SELECT coalesce(sum(count), 0) FROM sw_tracking WHERE delivery_id = ${row} AND kind = '${kind}'`));
            if (now === recorded) break;
            recorded = now;
            await sleep(300);
        }
        const metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
        const dropped = Number((/^stepwise_tracking_dropped_total (\d+)$/m.exec(metrics) || [])[1] || 0);
        // requests still in flight when autocannon stops are answered and recorded, not counted by it
        const ok = others === 0 && recorded + dropped >= answered && recorded <= answered + CONNECTIONS;
        if (!ok) status = 1;
        rows.push({ what, answered, others, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, recorded, dropped, ok });
        // the next URL starts from the same totals: the dropped counter is cumulative
    }
    console.log(`\nPublic listener under autocannon: ${CONNECTIONS} connections, ${DURATION} s per URL, loopback, ${os.cpus().length} CPUs`);
    console.log('url                 answered  other  req/s(avg)  p50 ms  p99 ms  max ms  recorded  dropped  check');
    for (const x of rows) {
        console.log(
            `${x.what.padEnd(18)} ${String(x.answered).padStart(9)} ${String(x.others).padStart(6)} ${x.rps.toFixed(0).padStart(11)} ${String(x.p50).padStart(7)} ${String(x.p99).padStart(7)} ${String(x.max).padStart(7)} ${String(x.recorded).padStart(9)} ${String(x.dropped).padStart(8)}  ${x.ok ? 'ok' : 'FAILED'}`,
        );
    }
} catch (e) {
    console.error(`redirect.mjs: ${e.message}`);
    status = 1;
} finally {
    if (daemon) {
        daemon.kill('SIGTERM');
        await new Promise((r) => daemon.on('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
