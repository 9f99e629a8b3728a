// A minimal client-side router over the History API: the daemon answers every non-API path
// with index.html, so /campaigns/12 and /templates can be bookmarked and reloaded.
import { useSyncExternalStore } from 'react';

const EVENT = 'stepwise:navigate';

function subscribe(fn: () => void): () => void {
  window.addEventListener('popstate', fn);
  window.addEventListener(EVENT, fn);
  return () => {
    window.removeEventListener('popstate', fn);
    window.removeEventListener(EVENT, fn);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query string; re-renders on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const s = useSyncExternalStore(subscribe, snapshot);
  const i = s.indexOf('?');
  return i < 0 ? { pathname: s, search: '' } : { pathname: s.slice(0, i), search: s.slice(i) };
}

export function navigate(to: string, { replace = false } = {}): void {
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
}

export type Route =
  | { page: 'campaigns' }
  | { page: 'templates' }
  | { page: 'campaign'; id: number }
  | { page: 'editor'; id: number | null }
  | { page: 'notFound' };

export function matchRoute(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/campaigns') return { page: 'campaigns' };
  if (p === '/templates') return { page: 'templates' };
  if (p === '/campaigns/new') return { page: 'editor', id: null };
  const e = /^\/campaigns\/(\d{1,15})\/edit$/.exec(p);
  if (e) return { page: 'editor', id: Number(e[1]) };
  const m = /^\/campaigns\/(\d{1,15})$/.exec(p);
  if (m) return { page: 'campaign', id: Number(m[1]) };
  return { page: 'notFound' };
}
