// The live feed (GET /api/v1/events, Server-Sent Events): one EventSource for the whole page,
// opened while something listens. The browser reconnects by itself with Last-Event-ID, so no
// event is missed across a blip; a refused connection (the session ended) is left closed and
// reopened by the next listener.
export interface FeedEvent {
  id: number;
  type: string; // campaign | run | task | delivery | reset
  campaign_id: number | null;
  run_id: number | null;
  status?: string;
  [k: string]: unknown;
}

type Listener = (e: FeedEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
const TYPES = ['campaign', 'run', 'task', 'delivery', 'reset'];

function open() {
  if (source && source.readyState !== EventSource.CLOSED) return;
  source = new EventSource('/api/v1/events', { withCredentials: true });
  const deliver = (m: MessageEvent<string>) => {
    let e: FeedEvent;
    try {
      e = JSON.parse(m.data) as FeedEvent;
    } catch {
      return;
    }
    if (!e.type) e.type = m.type;
    listeners.forEach((fn) => fn(e));
  };
  for (const t of TYPES) source.addEventListener(t, deliver as EventListener);
}

/** Listen to the feed; returns the function that stops listening. */
export function subscribe(fn: Listener): () => void {
  listeners.add(fn);
  open();
  return () => {
    listeners.delete(fn);
    if (!listeners.size && source) {
      source.close();
      source = null;
    }
  };
}
