// A fake SMS/push provider for the end-to-end tests (not a test file itself): an HTTP server
// on a free loopback port that records every POST (with its arrival time `at`, ms) and answers from a script.
//
//   const cap = await startCapture();
//   sw([... '--sms-url', cap.url + '/sms' ...]);
//   cap.requests   // [{ path, headers, body (parsed JSON, or null), raw, index }, ...]
//   cap.setScript((req, body, index) => (index === 3 ? { status: 429, headers: { 'Retry-After': '2' } } : {}));
//   await cap.close();
//
// A script returns { status, headers?, body?, close?, hang?, delayMs? }; every field may be
// left out (status 200 with body {"id": "msg-<index>"}; other statuses have an empty body). close: true drops the connection after
// reading the whole request, without an answer (the sender cannot know whether it was
// accepted); hang: true never answers. Only POSTs are recorded and scripted; anything else
// gets a 405.
//
// The server runs in the test's own process: start stepwise with an asynchronous spawn while
// it sends (helpers.sw() uses spawnSync, which would block this server and time every message
// out).
import http from 'node:http';

/** Start the server; opts.script is the initial script. Resolves once it listens. */
export async function startCapture(opts = {}) {
  let script = opts.script || (() => ({}));
  const requests = [];
  const hanging = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (req.method !== 'POST') {
        res.writeHead(405, { 'Content-Type': 'application/json', Allow: 'POST' });
        res.end('{"error":"method not allowed"}');
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = null;
      }
      const index = requests.length;
      const entry = { path: req.url, headers: req.headers, body, raw, index, at: Date.now() };
      requests.push(entry);

      let answer;
      try {
        answer = (await script(entry, body, index)) || {};
      } catch (e) {
        answer = { status: 500, body: { error: `capture script threw: ${e.message}` } };
      }
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (answer.close) {
        req.socket.destroy();
        return;
      }
      if (answer.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      const status = answer.status ?? 200;
      let out = answer.body ?? (status >= 200 && status < 300 ? { id: `msg-${index}` } : '');
      if (typeof out !== 'string' && !Buffer.isBuffer(out)) out = JSON.stringify(out);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(out),
        ...(answer.headers || {}),
      });
      res.end(out);
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Replace the script for the requests that arrive from now on. */
    setScript(fn) {
      script = fn || (() => ({}));
    },
    /** Resolve once at least n requests were recorded; reject after timeout ms. */
    async waitForRequests(n, { timeout = 30_000 } = {}) {
      const t0 = Date.now();
      while (requests.length < n) {
        if (Date.now() - t0 > timeout) {
          throw new Error(`capture: ${requests.length} requests after ${timeout} ms, expected ${n}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return requests;
    },
    /** Stop listening and drop every connection, kept-alive and hanging ones included. */
    close() {
      return new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
