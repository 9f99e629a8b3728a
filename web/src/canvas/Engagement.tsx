// After the send: for each email activity of the shown run, its delivery report
// (GET /runs/{id}/activities/{aid}/report): delivered, bounced, complained, unsubscribed, unique
// opens and clicks by people (machines apart), and the most clicked links. Refreshed whenever
// the run's tasks change (the live feed updates them).
import { useEffect, useState } from 'react';
import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { api, ApiError, unwrap, type DeliveryReport, type Task } from '../api/client';
import { useI18n } from '../i18n/I18n';
import { rates, topLinks } from './engagement';

export function Engagement(props: { runId: number | null; tasks: Task[] }) {
  const { t, num, lang } = useI18n();
  const [reports, setReports] = useState<DeliveryReport[]>([]);
  const emails = props.tasks.filter((k) => k.type === 'email' && k.delivery);
  const key = emails.map((k) => `${k.activity}:${k.status}:${k.delivery?.sent ?? 0}`).join(',');

  useEffect(() => {
    let live = true;
    if (!props.runId || emails.length === 0) {
      setReports([]);
      return;
    }
    void (async () => {
      try {
        const got = await Promise.all(
          emails.map(async (k) => unwrap(await api.GET('/runs/{id}/activities/{aid}/report', { params: { path: { id: String(props.runId), aid: k.activity } } }))),
        );
        if (live) setReports(got);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
    })();
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.runId, key]);

  if (reports.length === 0) return null;
  const pct = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });
  const withRate = (n: number, r: number | null) => (r === null ? num(n) : `${num(n)} (${pct.format(r)})`);
  return (
    <section aria-labelledby="engagement-title" className="panel" id="engagement">
      <h2 id="engagement-title">{t('engagement.title')}</h2>
      <Table aria-labelledby="engagement-title" className="table engagement-table">
        <TableHeader>
          <Column isRowHeader className="col">
            {t('campaign.activity')}
          </Column>
          <Column className="col num">{t('engagement.delivered')}</Column>
          <Column className="col num">{t('engagement.bounced')}</Column>
          <Column className="col num">{t('engagement.complained')}</Column>
          <Column className="col num">{t('engagement.unsubscribed')}</Column>
          <Column className="col num">{t('engagement.opens')}</Column>
          <Column className="col num">{t('engagement.clicks')}</Column>
          <Column className="col">{t('engagement.links')}</Column>
        </TableHeader>
        <TableBody items={reports.map((r) => ({ ...r, id: r.activity }))} dependencies={[lang]}>
          {(r) => {
            const k = rates(r);
            const links = topLinks(r);
            return (
              <Row id={r.activity} className="row" data-activity={r.activity}>
                <Cell className="cell">
                  <strong>{r.activity}</strong>
                </Cell>
                <Cell className="cell num" data-k="delivered">{withRate(r.delivered, k.delivered)}</Cell>
                <Cell className="cell num" data-k="bounced">{withRate(r.bounced, k.bounced)}</Cell>
                <Cell className="cell num" data-k="complained">{withRate(r.complained, k.complained)}</Cell>
                <Cell className="cell num" data-k="unsubscribed">{withRate(r.unsubscribed, k.unsubscribed)}</Cell>
                <Cell className="cell num" data-k="opens">
                  {withRate(r.unique_opens, k.opens)}
                  {r.machine_opens > 0 && <span className="cell-sub"> {t('engagement.machines', { n: num(r.machine_opens) })}</span>}
                </Cell>
                <Cell className="cell num" data-k="clicks">{withRate(r.unique_clicks, k.clicks)}</Cell>
                <Cell className="cell" data-k="links">
                  {links.length === 0 ? (
                    t('engagement.noClicks')
                  ) : (
                    <ol className="engagement-links">
                      {links.map((l) => (
                        <li key={l.link} title={l.url}>
                          <span className="mono">{l.url}</span>: {t('engagement.linkClicks', { n: num(l.unique_clicks) })}
                        </li>
                      ))}
                    </ol>
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
