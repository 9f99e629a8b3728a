// A run's logs, errors first (then newest first), filtered by level and activity. The activity
// filter comes from the URL (?activity=), so the list's "last activity in error" link lands on
// the failing activity's lines.
import { useEffect, useState } from 'react';
import { Button, Cell, Column, ListBox, ListBoxItem, Popover, Row, Select, SelectValue, Table, TableBody, TableHeader, type Key } from 'react-aria-components';
import { api, ApiError, unwrap, type Log, type Run } from '../api/client';
import { useI18n } from '../i18n/I18n';
import type { MessageKey } from '../i18n/messages';

import { sortLogs } from './logs';

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export function Logs(props: {
  campaignId: number;
  runId: number | null;
  runs?: Run[];
  onRun?: (run: number) => void;
  activity: string;
  onClearActivity: () => void;
  reload: number;
}) {
  const { t, date, lang } = useI18n();
  const [level, setLevel] = useState<string>('');
  // The logs follow the run shown on the page, or every run's at once.
  const [allRuns, setAllRuns] = useState(false);
  const [items, setItems] = useState<Log[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const query: { run?: number; level?: string; activity?: string; limit: number } = { limit: 200 };
    if (props.runId && !allRuns) query.run = props.runId;
    if (level) query.level = level;
    if (props.activity) query.activity = props.activity;
    api
      .GET('/campaigns/{id}/logs', { params: { path: { id: String(props.campaignId) }, query } })
      .then((r) => {
        if (!live) return;
        setItems(sortLogs(unwrap(r).items));
        setError(null);
      })
      .catch((e: unknown) => {
        if (live && !(e instanceof ApiError && e.status === 401)) setError(e instanceof ApiError ? e.message : t('error.network'));
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.campaignId, props.runId, props.activity, level, props.reload, allRuns]);

  return (
    <section aria-labelledby="logs-title" className="panel" id="logs">
      <div className="panel-head">
        <h2 id="logs-title">{t('logs.title')}</h2>
        <Select className="select" aria-label={t('logs.level')} selectedKey={level || '*'} onSelectionChange={(k: Key | null) => setLevel(k === '*' || k === null ? '' : String(k))}>
          <Button className="btn btn-field">
            <SelectValue />
            <span aria-hidden="true" className="chevron">
              ▾
            </span>
          </Button>
          <Popover className="popover">
            <ListBox className="listbox">
              <ListBoxItem id="*" className="option">
                {t('logs.allLevels')}
              </ListBoxItem>
              {LEVELS.map((l) => (
                <ListBoxItem key={l} id={l} className="option">
                  {t(`level.${l}` as MessageKey)}
                </ListBoxItem>
              ))}
            </ListBox>
          </Popover>
        </Select>
        {props.runs && props.runs.length > 0 && (
          <Select
            className="select"
            aria-label={t('logs.run')}
            selectedKey={allRuns || !props.runId ? '*' : String(props.runId)}
            onSelectionChange={(k: Key | null) => {
              if (k === '*' || k === null) setAllRuns(true);
              else {
                setAllRuns(false);
                props.onRun?.(Number(k));
              }
            }}
          >
            <Button className="btn btn-field">
              <SelectValue />
              <span aria-hidden="true" className="chevron">
                ▾
              </span>
            </Button>
            <Popover className="popover">
              <ListBox className="listbox">
                <ListBoxItem id="*" className="option">
                  {t('logs.allRuns')}
                </ListBoxItem>
                {props.runs.map((r) => (
                  <ListBoxItem key={r.id} id={String(r.id)} className="option">
                    {t('logs.runN', { id: r.id })}
                  </ListBoxItem>
                ))}
              </ListBox>
            </Popover>
          </Select>
        )}
        {props.activity && (
          <>
            <span className="tag">{t('logs.activityFilter', { activity: props.activity })}</span>
            <Button className="btn btn-quiet" onPress={props.onClearActivity}>
              {t('logs.allActivities')}
            </Button>
          </>
        )}
      </div>
      {error && (
        <p className="notice notice-error" role="alert">
          {t('error.title', { message: error })}
        </p>
      )}
      <Table aria-labelledby="logs-title" className="table">
        <TableHeader>
          <Column className="col">{t('logs.time')}</Column>
          <Column className="col">{t('logs.level')}</Column>
          <Column className="col">{t('campaign.activity')}</Column>
          <Column isRowHeader className="col">
            {t('logs.message')}
          </Column>
        </TableHeader>
        <TableBody items={items ?? []} dependencies={[lang]} renderEmptyState={() => (items ? t('logs.empty') : t('app.loading'))}>
          {(l) => (
            <Row id={l.id} className={`row log-${l.level}`}>
              <Cell className="cell">{date(l.time)}</Cell>
              <Cell className="cell">
                <span className={`level level-${l.level}`}>{t(`level.${l.level}` as MessageKey)}</span>
              </Cell>
              <Cell className="cell">{l.activity ?? ''}</Cell>
              <Cell className="cell cell-message">{l.message}</Cell>
            </Row>
          )}
        </TableBody>
      </Table>
    </section>
  );
}
