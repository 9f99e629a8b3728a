// The list's columns: the default five of SPEC §6 and the optional ones of "Configure columns".
import type { MessageKey } from '../i18n/messages';
import type { SortKey } from './listState';

export const COLUMNS = ['name', 'status', 'last_run', 'updated', 'next_run', 'last_error', 'dimension', 'parent', 'tags', 'created'] as const;
export type ColumnId = (typeof COLUMNS)[number];

export const DEFAULT_COLUMNS: readonly ColumnId[] = ['name', 'status', 'last_run', 'updated', 'next_run'];
/** Columns that can be hidden (the name always shows). */
export const CONFIGURABLE: readonly ColumnId[] = COLUMNS.filter((c) => c !== 'name');

export const COLUMN_LABEL: Record<ColumnId, MessageKey> = {
  name: 'col.name',
  status: 'col.status',
  last_run: 'col.lastRun',
  updated: 'col.updated',
  next_run: 'col.nextRun',
  last_error: 'col.lastError',
  dimension: 'col.dimension',
  parent: 'col.parent',
  tags: 'col.tags',
  created: 'col.created',
};

export const COLUMN_SORT: Partial<Record<ColumnId, SortKey>> = {
  name: 'name',
  status: 'status',
  last_run: 'last_run_at',
  updated: 'updated_at',
  next_run: 'next_run_at',
  created: 'created_at',
};

export function columnOfSort(sort: SortKey): ColumnId | undefined {
  return (Object.keys(COLUMN_SORT) as ColumnId[]).find((c) => COLUMN_SORT[c] === sort);
}

/** A saved choice (from the preferences endpoint or localStorage) made safe: known ids, in
 * table order, the name first; null when there is nothing usable. */
export function normalizeColumns(v: unknown): ColumnId[] | null {
  if (!Array.isArray(v)) return null;
  const set = new Set(v.filter((x): x is ColumnId => typeof x === 'string' && (COLUMNS as readonly string[]).includes(x)));
  set.add('name');
  return COLUMNS.filter((c) => set.has(c));
}
