// A campaign's actions (SPEC §3) for the list's rows and a campaign's page: the "More actions"
// menu (Duplicate and Delete always, Delete disabled while running with the reason; the
// lifecycle actions the status allows), confirmations for what cannot be taken back, the API's
// refusals shown as they come.
import { useCallback, useRef, useState, type ReactNode } from 'react';
import { Button, Menu, MenuItem, MenuTrigger, Popover, Text } from 'react-aria-components';
import { api, ApiError, EMPTY, unwrap, type Campaign } from '../api/client';
import { useI18n } from '../i18n/I18n';
import type { MessageKey } from '../i18n/messages';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useNotices } from '../ui/Notices';
import { CONFIRM, menuActions, type Action } from './actions';

type Target = Pick<Campaign, 'id' | 'name' | 'status'>;

/** onAction asks first where needed, then acts; onDone runs after every attempt (the copy
 * when the action made one). dialog is the confirmation to render. */
export function useCampaignActions(onDone: (action: Action, c: Target, ok: boolean, copyId?: number) => void): {
  onAction: (action: Action, c: Target) => void;
  dialog: ReactNode;
} {
  const { t } = useI18n();
  const notices = useNotices();
  const [pending, setPending] = useState<{ action: Action; c: Target } | null>(null);

  async function run(action: Action, c: Target) {
    const path = { params: { path: { id: String(c.id) } } };
    let copyId: number | undefined;
    let ok = true;
    try {
      switch (action) {
        case 'duplicate': {
          const copy = unwrap(await api.POST('/campaigns/{id}/duplicate', { ...path, body: EMPTY }));
          copyId = copy.id;
          notices.ok(t('done.duplicate', { name: copy.name }));
          break;
        }
        case 'delete':
          unwrap(await api.DELETE('/campaigns/{id}', { ...path, body: EMPTY }));
          notices.ok(t('done.delete', { name: c.name }));
          break;
        case 'start':
          unwrap(await api.POST('/campaigns/{id}/start', { ...path, body: EMPTY }));
          notices.ok(t('done.start', { name: c.name }));
          break;
        case 'pause':
          unwrap(await api.POST('/campaigns/{id}/pause', { ...path, body: EMPTY }));
          notices.ok(t('done.pause', { name: c.name }));
          break;
        case 'resume':
          unwrap(await api.POST('/campaigns/{id}/resume', { ...path, body: EMPTY }));
          notices.ok(t('done.resume', { name: c.name }));
          break;
        case 'stop':
          unwrap(await api.POST('/campaigns/{id}/stop', { ...path, body: EMPTY }));
          notices.ok(t('done.stop', { name: c.name }));
          break;
        default: {
          const never: never = action;
          throw new Error(`unknown action ${String(never)}`);
        }
      }
    } catch (e) {
      ok = false;
      if (!(e instanceof ApiError && e.status === 401)) {
        notices.error(t('error.title', { message: e instanceof ApiError ? e.message : t('error.network') }));
      }
    }
    doneRef.current(action, c, ok, copyId);
  }

  const doneRef = useRef(onDone);
  doneRef.current = onDone;
  const runRef = useRef(run);
  runRef.current = run;
  const onAction = useCallback((action: Action, c: Target) => {
    if (CONFIRM.has(action)) setPending({ action, c });
    else void runRef.current(action, c);
  }, []);

  const dialog = pending && (
    <ConfirmDialog
      title={t(`confirm.${pending.action}.title` as MessageKey, { name: pending.c.name })}
      body={t(`confirm.${pending.action}.body` as MessageKey)}
      confirm={t(`action.${pending.action}` as MessageKey)}
      destructive={pending.action !== 'start'}
      onCancel={() => setPending(null)}
      onConfirm={() => {
        const p = pending;
        setPending(null);
        void runRef.current(p.action, p.c);
      }}
    />
  );
  return { onAction, dialog };
}

export function RowMenu({ c, onAction }: { c: Target; onAction: (a: Action, c: Target) => void }) {
  const { t } = useI18n();
  const acts = menuActions(c.status);
  return (
    <MenuTrigger>
      <Button className="btn btn-icon" aria-label={t('action.more')}>
        <span aria-hidden="true">…</span>
      </Button>
      <Popover className="popover" placement="bottom end">
        <Menu
          className="menu"
          aria-label={`${t('action.more')}: ${c.name}`}
          disabledKeys={acts.filter((a) => a.disabled).map((a) => a.action)}
          onAction={(k) => onAction(k as Action, c)}
        >
          {acts.map(({ action, disabled }) => (
            <MenuItem key={action} id={action} textValue={t(`action.${action}` as MessageKey)} className={`menu-item${action === 'delete' ? ' menu-item-negative' : ''}`}>
              <Text slot="label">{t(`action.${action}` as MessageKey)}</Text>
              {disabled && action === 'delete' && (
                <Text slot="description" className="menu-item-reason">
                  {t('action.deleteRunning')}
                </Text>
              )}
            </MenuItem>
          ))}
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}
