import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, listStateToSearch, localDayBound, parseListState, toCampaignQuery, withFilter } from './listState';

describe('list state ⇄ URL', () => {
  it('the default state is the bare path', () => {
    expect(listStateToSearch(DEFAULT_STATE)).toBe('');
    expect(parseListState('')).toEqual(DEFAULT_STATE);
  });

  it('round-trips every filter, the sort and the cursor', () => {
    const s = {
      ...DEFAULT_STATE,
      q: 'win back & co',
      status: ['running' as const, 'failed' as const],
      campaign: 'Spring 2027',
      dimension: 'profiles',
      from: '2026-03-01',
      to: '2026-03-31',
      sort: 'name' as const,
      order: 'desc' as const,
      cursor: 'eyJ2IjoxfQ',
    };
    const search = listStateToSearch(s);
    expect(search).toContain('status=running%2Cfailed');
    expect(parseListState(search)).toEqual(s);
  });

  it('drops what it does not know instead of sending it to the server', () => {
    const s = parseListState('?status=running,bogus,running&sort=drop_table&order=sideways&from=2026-13-45&to=yesterday');
    expect(s.status).toEqual(['running']);
    expect(s.sort).toBe('updated_at');
    expect(s.order).toBe('desc');
    expect(s.from).toBe('');
    expect(s.to).toBe('');
  });

  it('orders statuses canonically so that equal filters have equal URLs', () => {
    expect(parseListState('?status=failed,draft').status).toEqual(['draft', 'failed']);
  });

  it('keeps a sort in its natural order out of the URL, and an explicit one in it', () => {
    expect(listStateToSearch({ ...DEFAULT_STATE, sort: 'name', order: 'asc' })).toBe('?sort=name&order=asc');
    expect(parseListState('?sort=name').order).toBe('asc');
    expect(parseListState('?sort=last_run_at').order).toBe('desc');
  });

  it('a filter change goes back to the first page', () => {
    const s = { ...DEFAULT_STATE, cursor: 'abc' };
    expect(withFilter(s, { q: 'x' }).cursor).toBe('');
  });
});

describe('list state → GET /campaigns', () => {
  it('sends only what is set, statuses comma-separated, dates as UTC bounds of local days', () => {
    const s = parseListState('?q=%20spring%20&status=paused,running&from=2026-03-01&to=2026-03-02');
    const q = toCampaignQuery(s, 50);
    expect(q).toEqual({
      q: 'spring',
      status: 'running,paused',
      sort: 'updated_at',
      order: 'desc',
      limit: 50,
      processed_from: localDayBound('2026-03-01', false),
      processed_to: localDayBound('2026-03-02', true),
    });
    expect(q.processed_from).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const span = Date.parse(q.processed_to!) - Date.parse(q.processed_from!);
    expect(span).toBe((2 * 24 * 3600 - 1) * 1000);
  });
});
