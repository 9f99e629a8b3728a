// Which row actions a campaign's status allows (SPEC §3).
import type { Status } from './listState';

export const ACTIONS = ['duplicate', 'delete', 'start', 'pause', 'resume', 'stop'] as const;
export type Action = (typeof ACTIONS)[number];

const ALLOWED: Record<Action, readonly Status[]> = {
  duplicate: ['draft', 'running', 'paused', 'completed', 'failed'],
  delete: ['draft', 'paused', 'completed', 'failed'],
  start: ['draft', 'completed', 'failed'],
  pause: ['running'],
  resume: ['paused'],
  stop: ['running', 'paused'],
};

export function isAllowed(action: Action, status: Status): boolean {
  return ALLOWED[action].includes(status);
}

/** The menu of a row: Duplicate and Delete always (Delete disabled while running, with the
 * reason), then the lifecycle actions the status allows. */
export function menuActions(status: Status): { action: Action; disabled: boolean }[] {
  const out: { action: Action; disabled: boolean }[] = [
    { action: 'duplicate', disabled: false },
    { action: 'delete', disabled: !isAllowed('delete', status) },
  ];
  for (const a of ['start', 'pause', 'resume', 'stop'] as const) {
    if (isAllowed(a, status)) out.push({ action: a, disabled: false });
  }
  return out;
}

/** Actions that ask before they act. */
export const CONFIRM: ReadonlySet<Action> = new Set<Action>(['delete', 'start', 'stop']);
