import { describe, expect, it } from 'vitest';
import type { Task } from '../api/client';
import { canConfirm, canRetry, channelTasks } from './Deliveries';

const d = (o: Partial<NonNullable<Task['delivery']>> = {}) => ({ targeted: 3, pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0, skipped: {}, ...o });
const task = (status: Task['status'], delivery?: Task['delivery']): Task => ({
  id: 1,
  activity: 'mail',
  type: 'email',
  status,
  started_at: null,
  ended_at: null,
  input_count: 3,
  counts: {},
  error: null,
  ...(delivery ? { delivery } : {}),
});

describe('delivery actions', () => {
  it('lists only tasks with a ledger', () => {
    expect(channelTasks([task('completed'), task('completed', d())]).length).toBe(1);
  });
  it('offers Retry failed once the task is over and rows failed', () => {
    expect(canRetry(task('completed', d({ failed: 2 })), false)).toBe(true);
    expect(canRetry(task('running', d({ failed: 2 })), false)).toBe(false);
    expect(canRetry(task('completed', d({ unknown: 2 })), false)).toBe(false);
    expect(canRetry(task('completed', d({ unknown: 2 })), true)).toBe(true);
    expect(canRetry(task('completed', d({ sent: 3 })), true)).toBe(false);
  });
  it('offers Confirm while a running task holds pending rows', () => {
    expect(canConfirm(task('running', d({ pending: 3 })))).toBe(true);
    expect(canConfirm(task('running', d({ pending: 3, sending: 1 })))).toBe(false);
    expect(canConfirm(task('completed', d({ pending: 3 })))).toBe(false);
    expect(canConfirm(task('running', d({ sent: 3 })))).toBe(false);
  });
});
