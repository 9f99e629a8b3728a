import { describe, expect, it } from 'vitest';
import { sortLogs } from './logs';

describe('log order', () => {
  it('errors first, then warnings and info; newest first within a level; ties by id', () => {
    const l = (id: number, level: string, time: string | null) => ({ id, level, time });
    const out = sortLogs([
      l(1, 'info', '2026-06-15T10:00:00Z'),
      l(2, 'error', '2026-06-15T09:00:00Z'),
      l(3, 'warn', '2026-06-15T11:00:00Z'),
      l(4, 'error', '2026-06-15T12:00:00Z'),
      l(5, 'info', '2026-06-15T10:00:00Z'),
      l(6, 'debug', null),
    ]);
    expect(out.map((x) => x.id)).toEqual([4, 2, 3, 5, 1, 6]);
  });
});
