// The user's column choice: kept on the server (GET/PUT /me/preferences) so that it follows
// the user to a new session; kept in localStorage while that endpoint is not there (404/405).
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { DEFAULT_COLUMNS, normalizeColumns, type ColumnId } from './columns';

const LOCAL_KEY = 'stepwise.listColumns';
const PREF_KEY = 'campaign_list_columns';

function local(): ColumnId[] | null {
  try {
    const s = localStorage.getItem(LOCAL_KEY);
    return s ? normalizeColumns(JSON.parse(s)) : null;
  } catch {
    return null;
  }
}

function saveLocal(cols: ColumnId[]) {
  try {
    localStorage.setItem(LOCAL_KEY, JSON.stringify(cols));
  } catch {
    /* private mode */
  }
}

export function useColumns(): [ColumnId[], (cols: ColumnId[]) => void] {
  const [cols, setCols] = useState<ColumnId[]>(() => local() ?? [...DEFAULT_COLUMNS]);
  const prefs = useRef<Record<string, unknown> | null>(null); // null: server has no preferences

  useEffect(() => {
    let live = true;
    api
      .GET('/me/preferences')
      .then((r) => {
        if (!live || !r.response.ok || !r.data) return;
        prefs.current = r.data as Record<string, unknown>;
        const c = normalizeColumns(prefs.current[PREF_KEY]);
        // The same choice keeps the same array: the table does not render again for nothing.
        if (c) setCols((cur) => (cur.join() === c.join() ? cur : c));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);

  const update = useCallback((next: ColumnId[]) => {
    const c = normalizeColumns(next) ?? [...DEFAULT_COLUMNS];
    setCols(c);
    saveLocal(c);
    if (prefs.current) {
      const body = { ...prefs.current, [PREF_KEY]: c };
      prefs.current = body;
      api.PUT('/me/preferences', { body }).catch(() => undefined);
    }
  }, []);

  return [cols, update];
}
