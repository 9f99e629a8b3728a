// The list's filters, sort and page as URL query parameters (a filtered view can be bookmarked
// and shared) and as the query of GET /campaigns. Unknown or malformed values are dropped, so a
// hand-edited URL never produces a 400.
export const STATUSES = ['draft', 'running', 'paused', 'completed', 'failed'] as const;
export type Status = (typeof STATUSES)[number];
export const SORTS = ['name', 'status', 'last_run_at', 'next_run_at', 'updated_at', 'created_at'] as const;
export type SortKey = (typeof SORTS)[number];
export type Order = 'asc' | 'desc';

export interface ListState {
  q: string;
  status: Status[];
  campaign: string;
  dimension: string;
  from: string; // YYYY-MM-DD, processed within [from, to] in the user's time zone
  to: string;
  sort: SortKey;
  order: Order;
  cursor: string;
}

export const DEFAULT_STATE: ListState = {
  q: '',
  status: [],
  campaign: '',
  dimension: '',
  from: '',
  to: '',
  sort: 'updated_at',
  order: 'desc',
  cursor: '',
};

/** The order a column sorts in when first chosen: newest first for times, A→Z otherwise. */
export function defaultOrder(sort: SortKey): Order {
  return sort === 'name' || sort === 'status' ? 'asc' : 'desc';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (s: string) => DATE.test(s) && !Number.isNaN(new Date(`${s}T00:00:00`).getTime());

export function parseListState(search: string): ListState {
  const p = new URLSearchParams(search);
  const s: ListState = { ...DEFAULT_STATE, status: [] };
  s.q = (p.get('q') ?? '').slice(0, 200);
  for (const v of (p.get('status') ?? '').split(',')) {
    if ((STATUSES as readonly string[]).includes(v) && !s.status.includes(v as Status)) s.status.push(v as Status);
  }
  s.status.sort((a, b) => STATUSES.indexOf(a) - STATUSES.indexOf(b));
  s.campaign = p.get('campaign') ?? '';
  s.dimension = p.get('dimension') ?? '';
  const from = p.get('from') ?? '';
  const to = p.get('to') ?? '';
  s.from = isDate(from) ? from : '';
  s.to = isDate(to) ? to : '';
  const sort = p.get('sort') ?? '';
  if ((SORTS as readonly string[]).includes(sort)) s.sort = sort as SortKey;
  const order = p.get('order');
  s.order = order === 'asc' || order === 'desc' ? order : defaultOrder(s.sort);
  s.cursor = p.get('cursor') ?? '';
  return s;
}

/** The query string of a state ('' or '?…'); defaults are left out. */
export function listStateToSearch(s: ListState): string {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.status.length) p.set('status', s.status.join(','));
  if (s.campaign) p.set('campaign', s.campaign);
  if (s.dimension) p.set('dimension', s.dimension);
  if (s.from) p.set('from', s.from);
  if (s.to) p.set('to', s.to);
  if (s.sort !== DEFAULT_STATE.sort || s.order !== defaultOrder(s.sort)) {
    p.set('sort', s.sort);
    p.set('order', s.order);
  }
  if (s.cursor) p.set('cursor', s.cursor);
  const q = p.toString();
  return q ? `?${q}` : '';
}

/** A local calendar day's first or last second as ISO-8601 UTC (what the API takes). */
export function localDayBound(day: string, end: boolean): string {
  const d = new Date(`${day}T${end ? '23:59:59' : '00:00:00'}`);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface CampaignQuery {
  q?: string;
  status?: string;
  campaign?: string;
  dimension?: string;
  processed_from?: string;
  processed_to?: string;
  sort: SortKey;
  order: Order;
  limit: number;
  cursor?: string;
}

export function toCampaignQuery(s: ListState, limit: number): CampaignQuery {
  const q: CampaignQuery = { sort: s.sort, order: s.order, limit };
  if (s.q.trim()) q.q = s.q.trim();
  if (s.status.length) q.status = s.status.join(',');
  if (s.campaign.trim()) q.campaign = s.campaign.trim();
  if (s.dimension) q.dimension = s.dimension;
  if (s.from) q.processed_from = localDayBound(s.from, false);
  if (s.to) q.processed_to = localDayBound(s.to, true);
  if (s.cursor) q.cursor = s.cursor;
  return q;
}

/** Any change of filter or sort goes back to the first page. */
export function withFilter(s: ListState, change: Partial<Omit<ListState, 'cursor'>>): ListState {
  return { ...s, ...change, cursor: '' };
}

export function hasFilters(s: ListState): boolean {
  return !!(s.q || s.status.length || s.campaign || s.dimension || s.from || s.to);
}
