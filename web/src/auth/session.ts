// Who is signed in. The session is an HttpOnly cookie the UI cannot read: it learns the state
// from GET /session (or, before that endpoint exists, from whether the list answers 401), and
// from any 401 later on, which means the session expired: the sign-in form comes back in place,
// the URL (the page the user was on) is kept.
import { useSyncExternalStore } from 'react';
import { api, ApiError, EMPTY, onUnauthorized, unwrap } from '../api/client';

export type SessionState =
  | { status: 'checking' }
  | { status: 'signedOut'; expired: boolean }
  | { status: 'signedIn'; username: string | null; role: string | null; epoch: number };

let state: SessionState = { status: 'checking' };
const listeners = new Set<() => void>();
let epoch = 0;

function set(s: SessionState) {
  state = s;
  listeners.forEach((fn) => fn());
}

export function useSession(): SessionState {
  return useSyncExternalStore(
    (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    () => state,
  );
}

onUnauthorized(() => {
  if (state.status !== 'signedOut') set({ status: 'signedOut', expired: state.status === 'signedIn' });
});

const USER_KEY = 'stepwise.user';

export async function checkSession(): Promise<void> {
  try {
    const r = await api.GET('/session');
    if (r.response.ok && r.data) {
      set({ status: 'signedIn', username: r.data.username ?? null, role: r.data.role, epoch: ++epoch });
      return;
    }
    if (r.response.status === 401) return; // onUnauthorized did it
    // No GET /session on this server yet: the list says whether the cookie is good.
    const l = await api.GET('/campaigns', { params: { query: { limit: 1 } } });
    if (l.response.ok) {
      set({ status: 'signedIn', username: sessionStorage.getItem(USER_KEY), role: null, epoch: ++epoch });
    }
  } catch {
    set({ status: 'signedOut', expired: false });
  }
}

export async function signIn(username: string, password: string): Promise<void> {
  const r = await api.POST('/session', { body: { username, password } });
  const s = unwrap(r);
  try {
    sessionStorage.setItem(USER_KEY, s.username);
  } catch {
    /* not needed */
  }
  set({ status: 'signedIn', username: s.username, role: s.role, epoch: ++epoch });
}

export async function signOut(): Promise<void> {
  try {
    await api.DELETE('/session', { body: EMPTY });
  } finally {
    try {
      sessionStorage.removeItem(USER_KEY);
    } catch {
      /* not needed */
    }
    set({ status: 'signedOut', expired: false });
  }
}

export { ApiError };
