// A Server-Sent Events client for the tests of GET /api/v1/events (not a test file itself):
// the event-stream format of the HTML standard (fields id, event, data, retry; comment lines
// starting with ':'; an event ends at a blank line), over node:http so that any header can be
// sent (Last-Event-ID, Cookie, Origin) and the connection cut at will.
//
//   const feed = await openFeed(d.url, { token, lastEventId: 12, query: '?campaign=3' });
//   const ev = await feed.waitFor((e) => e.event === 'run' && e.data.status === 'completed');
//   feed.close();
import http from 'node:http';

/**
 * Open the feed. Resolves once the response headers arrived, with {status, headers, events,
 * comments, retry, text, lastId, waitFor(pred, timeoutMs), waitCount(n), pause(), resume(),
 * close()}; events are
 * {id, event, data (parsed JSON, or the raw text when it is not JSON), raw}.
 */
export function openFeed(base, { token, cookie, lastEventId, query = '', headers = {}, path = '/api/v1/events' } = {}) {
  const url = new URL(path + query, base);
  const h = { Accept: 'text/event-stream', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (cookie) h.Cookie = cookie;
  if (lastEventId !== undefined && lastEventId !== null) h['Last-Event-ID'] = String(lastEventId);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: h });
    const feed = { status: 0, headers: {}, events: [], comments: [], retry: null, text: '', ended: false, lastId: null };
    const waiters = new Set();
    const check = () => {
      for (const w of waiters) {
        const found = w.pred();
        if (found) {
          waiters.delete(w);
          clearTimeout(w.timer);
          w.resolve(found);
        }
      }
    };
    let pending = '';
    let cur = { data: [], event: null, id: null };
    const line = (l) => {
      if (l === '') {
        if (cur.data.length || cur.event || cur.id !== null) {
          if (cur.id !== null) feed.lastId = cur.id;
          if (cur.data.length) {
            const raw = cur.data.join('\n');
            let data = raw;
            try {
              data = JSON.parse(raw);
            } catch {
              // kept as text
            }
            feed.events.push({ id: cur.id, event: cur.event || 'message', data, raw });
          }
        }
        cur = { data: [], event: null, id: null };
        return;
      }
      if (l.startsWith(':')) {
        feed.comments.push(l.slice(1).trim());
        return;
      }
      const i = l.indexOf(':');
      const field = i < 0 ? l : l.slice(0, i);
      let value = i < 0 ? '' : l.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') cur.data.push(value);
      else if (field === 'event') cur.event = value;
      else if (field === 'id') cur.id = value;
      else if (field === 'retry') feed.retry = Number(value);
    };
    req.on('response', (res) => {
      feed.pause = () => res.pause();
      feed.resume = () => res.resume();
      feed.status = res.statusCode;
      feed.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (s) => {
        feed.text += s;
        pending += s;
        let k;
        while ((k = pending.search(/\r\n|\r|\n/)) >= 0) {
          const sep = pending[k] === '\r' && pending[k + 1] === '\n' ? 2 : 1;
          line(pending.slice(0, k));
          pending = pending.slice(k + sep);
        }
        check();
      });
      res.on('end', () => {
        feed.ended = true;
        check();
      });
      res.on('error', () => {
        feed.ended = true;
      });
      resolve(feed);
    });
    req.on('error', (e) => {
      feed.ended = true;
      if (!feed.status) reject(e);
    });
    req.end();

    /** The first event (after `from`, an index into events) for which pred(e) holds. */
    feed.waitFor = (pred, timeoutMs = 20_000, from = 0) =>
      new Promise((res2, rej2) => {
        const w = {
          pred: () => feed.events.slice(from).find(pred),
          resolve: res2,
        };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          rej2(new Error(`no such event in ${timeoutMs} ms; got ${feed.events.length}: ${feed.events.map((e) => `${e.id}:${e.event}:${e.data && e.data.status}`).join(' ')}`));
        }, timeoutMs);
        waiters.add(w);
        check();
      });
    /** Until at least n events arrived. */
    feed.waitCount = (n, timeoutMs = 20_000) => feed.waitFor(() => feed.events.length >= n, timeoutMs).then(() => feed.events);
    feed.close = () => {
      for (const w of waiters) clearTimeout(w.timer);
      waiters.clear();
      req.destroy();
    };
  });
}

/** The events of a feed that belong to run `runId`, in the order they came. */
export function ofRun(events, runId) {
  return events.filter((e) => e.data && e.data.run_id === runId);
}
