import { describe, expect, it } from 'vitest';
import { menuActions } from './actions';
import { DEFAULT_COLUMNS, normalizeColumns } from './columns';

describe('columns', () => {
  it('the defaults are the five of SPEC §6', () => {
    expect(DEFAULT_COLUMNS).toEqual(['name', 'status', 'last_run', 'updated', 'next_run']);
  });
  it('a saved choice is cleaned: known ids only, table order, name always', () => {
    expect(normalizeColumns(['tags', 'evil', 'status', 'tags', 3])).toEqual(['name', 'status', 'tags']);
    expect(normalizeColumns('status')).toBeNull();
    expect(normalizeColumns([])).toEqual(['name']);
  });
});

describe('row actions (SPEC §3)', () => {
  const names = (s: Parameters<typeof menuActions>[0]) => menuActions(s).map((a) => `${a.action}${a.disabled ? '(disabled)' : ''}`);
  it('a running campaign can be duplicated, paused and stopped, not deleted', () => {
    expect(names('running')).toEqual(['duplicate', 'delete(disabled)', 'pause', 'stop']);
  });
  it('each status offers what its lifecycle allows', () => {
    expect(names('draft')).toEqual(['duplicate', 'delete', 'start']);
    expect(names('paused')).toEqual(['duplicate', 'delete', 'resume', 'stop']);
    expect(names('completed')).toEqual(['duplicate', 'delete', 'start']);
    expect(names('failed')).toEqual(['duplicate', 'delete', 'start']);
  });
});
