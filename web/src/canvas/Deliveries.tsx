// The delivery summary of a run: for each channel activity (email, sms, push), its ledger rows by
// state and the skipped ones by reason, with "Retry failed" once the task is over and some rows
// failed (or are unknown), and "Confirm" while a confirm_before_send activity holds its messages.
// Both ask first (ConfirmDialog); a refusal shows the API's own message.
import { useState } from 'react';
import { Button, Cell, Checkbox, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { api, ApiError, unwrap, type Task } from '../api/client';
import { useI18n } from '../i18n/I18n';
import type { MessageKey } from '../i18n/messages';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useNotices } from '../ui/Notices';

const REASONS = ['missing_address', 'duplicate_address', 'frequency_cap', 'suppressed', 'run_stopped'];

type Delivery = NonNullable<Task['delivery']>;

/** The tasks of a run that have a delivery ledger (channel activities). */
export function channelTasks(tasks: Task[]): (Task & { delivery: Delivery })[] {
  return tasks.filter((t): t is Task & { delivery: Delivery } => !!t.delivery);
}

/** Whether "Retry failed" applies: the task is over and rows failed (or, with unknown, are unknown). */
export function canRetry(t: Task, includeUnknown: boolean): boolean {
  const d = t.delivery;
  if (!d || t.status === 'running' || t.status === 'pending') return false;
  return d.failed > 0 || (includeUnknown && d.unknown > 0);
}

/** Whether "Confirm" applies: the task runs and holds pending rows, none being sent. */
export function canConfirm(t: Task): boolean {
  const d = t.delivery;
  return !!d && t.status === 'running' && d.pending > 0 && d.sending === 0;
}

export function Deliveries(props: { runId: number | null; tasks: Task[]; readOnly: boolean; onChanged: () => void }) {
  const { t, num, lang } = useI18n();
  const notices = useNotices();
  const [unknown, setUnknown] = useState<Record<string, boolean>>({});
  const [ask, setAsk] = useState<{ kind: 'retry' | 'confirm'; task: Task & { delivery: Delivery } } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const items = channelTasks(props.tasks);

  const skipLabel = (r: string) => (REASONS.includes(r) ? t(`skip.${r}` as MessageKey) : r.replace(/_/g, ' '));

  async function run(kind: 'retry' | 'confirm', task: Task) {
    setAsk(null);
    setError(null);
    if (!props.runId) return;
    const path = { params: { path: { id: String(props.runId), aid: task.activity } } };
    try {
      if (kind === 'retry') {
        const r = unwrap(await api.POST('/runs/{id}/activities/{aid}/retry-failed', { ...path, body: { include_unknown: !!unknown[task.activity] } }));
        notices.ok(t('delivery.retried', { n: num(r.requeued), activity: task.activity }));
      } else {
        const r = unwrap(await api.POST('/runs/{id}/activities/{aid}/confirm', path));
        notices.ok(t('delivery.confirmed', { n: num(r.pending), activity: task.activity }));
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      setError(e instanceof ApiError ? e.message : t('error.network'));
    }
    props.onChanged();
  }

  if (items.length === 0) return null;
  return (
    <section aria-labelledby="delivery-title" className="panel" id="deliveries">
      <h2 id="delivery-title">{t('delivery.title')}</h2>
      {error && (
        <p className="notice notice-error" role="alert">
          {t('error.title', { message: error })}
        </p>
      )}
      {ask && (
        <ConfirmDialog
          title={t(ask.kind === 'retry' ? 'delivery.retryTitle' : 'delivery.confirmTitle', { activity: ask.task.activity })}
          body={
            ask.kind === 'retry'
              ? t('delivery.retryBody', { n: num(ask.task.delivery.failed + (unknown[ask.task.activity] ? ask.task.delivery.unknown : 0)) })
              : t('delivery.confirmBody', { n: num(ask.task.delivery.pending) })
          }
          confirm={t(ask.kind === 'retry' ? 'delivery.retry' : 'delivery.confirm')}
          onConfirm={() => void run(ask.kind, ask.task)}
          onCancel={() => setAsk(null)}
        />
      )}
      <Table aria-labelledby="delivery-title" className="table delivery-table">
        <TableHeader>
          <Column isRowHeader className="col">
            {t('campaign.activity')}
          </Column>
          <Column className="col num">{t('delivery.targeted')}</Column>
          <Column className="col num">{t('delivery.pending')}</Column>
          <Column className="col num">{t('delivery.sending')}</Column>
          <Column className="col num">{t('delivery.sent')}</Column>
          <Column className="col num">{t('delivery.failed')}</Column>
          <Column className="col num">{t('delivery.unknown')}</Column>
          <Column className="col">{t('delivery.skipped')}</Column>
          <Column className="col">{t('delivery.actions')}</Column>
        </TableHeader>
        <TableBody items={items} dependencies={[lang, unknown, props.readOnly]}>
          {(task) => {
            const d = task.delivery;
            const skipped = Object.entries(d.skipped).filter(([, n]) => n > 0);
            const withUnknown = !!unknown[task.activity];
            return (
              <Row id={task.activity} className="row" data-activity={task.activity}>
                <Cell className="cell">
                  <strong>{task.activity}</strong> <span className="cell-sub">{task.type}</span>
                  {canConfirm(task) && <span className="tag tag-held"> {t('delivery.held')}</span>}
                </Cell>
                <Cell className="cell num" data-k="targeted">{num(d.targeted)}</Cell>
                <Cell className="cell num" data-k="pending">{num(d.pending)}</Cell>
                <Cell className="cell num" data-k="sending">{num(d.sending)}</Cell>
                <Cell className="cell num" data-k="sent">{num(d.sent)}</Cell>
                <Cell className={`cell num${d.failed > 0 ? ' cell-error' : ''}`} data-k="failed">
                  {num(d.failed)}
                </Cell>
                <Cell className="cell num" data-k="unknown">{num(d.unknown)}</Cell>
                <Cell className="cell" data-k="skipped">
                  {skipped.length ? skipped.map(([r, n]) => `${skipLabel(r)}: ${num(n)}`).join(', ') : t('delivery.noSkip')}
                </Cell>
                <Cell className="cell">
                  {!props.readOnly && (
                    <span className="delivery-actions">
                      {canConfirm(task) && (
                        <Button className="btn btn-cta btn-small" onPress={() => setAsk({ kind: 'confirm', task })}>
                          {t('delivery.confirm')}
                        </Button>
                      )}
                      {(canRetry(task, false) || canRetry(task, true)) && (
                        <>
                          <Button className="btn btn-secondary btn-small" isDisabled={!canRetry(task, withUnknown)} onPress={() => setAsk({ kind: 'retry', task })}>
                            {t('delivery.retry')}
                          </Button>
                          {d.unknown > 0 && (
                            <Checkbox className="checkbox" isSelected={withUnknown} onChange={(v) => setUnknown((u) => ({ ...u, [task.activity]: v }))}>
                              <span className="checkbox-box" aria-hidden="true" />
                              {t('delivery.retryUnknown')}
                            </Checkbox>
                          )}
                        </>
                      )}
                    </span>
                  )}
                </Cell>
              </Row>
            );
          }}
        </TableBody>
      </Table>
    </section>
  );
}
