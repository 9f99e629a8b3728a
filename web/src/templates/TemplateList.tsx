// The Templates tab: the list, and a new draft campaign from a template.
import { useEffect, useState } from 'react';
import { Button, Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { api, ApiError, EMPTY, unwrap, type Template } from '../api/client';
import { navigate } from '../app/router';
import { useI18n } from '../i18n/I18n';
import { CreateCampaign } from '../campaigns/CreateCampaign';
import { useNotices } from '../ui/Notices';

export function TemplateList() {
  const { t, date, lang } = useI18n();
  const notices = useNotices();
  const [items, setItems] = useState<Template[] | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .GET('/templates')
      .then((r) => live && setItems(unwrap(r).items))
      .catch((e: unknown) => {
        if (live && !(e instanceof ApiError && e.status === 401)) {
          notices.error(t('error.title', { message: e instanceof ApiError ? e.message : t('error.network') }));
        }
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reload]);

  async function use(tpl: Template) {
    try {
      const c = unwrap(await api.POST('/templates/{id}/instantiate', { params: { path: { id: String(tpl.id) } }, body: EMPTY }));
      notices.ok(t('done.duplicate', { name: c.name }));
      navigate(`/campaigns/${c.id}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      notices.error(t('error.title', { message: e instanceof ApiError ? e.message : t('error.network') }));
    }
  }

  return (
    <>
      <div className="toolbar">
        <span className="spacer" />
        <CreateCampaign kind="template" onCreated={() => setReload((n) => n + 1)} />
      </div>
    <div className="table-wrap">
      <Table aria-label={t('templates.table')} className="table">
        <TableHeader>
          <Column isRowHeader className="col">
            {t('col.name')}
          </Column>
          <Column className="col">{t('templates.description')}</Column>
          <Column className="col">{t('col.updated')}</Column>
          <Column className="col col-actions">
            <span className="visually-hidden">{t('col.actions')}</span>
          </Column>
        </TableHeader>
        <TableBody items={items ?? []} dependencies={[lang]} renderEmptyState={() => (items ? t('templates.empty') : t('app.loading'))}>
          {(tpl) => (
            <Row id={tpl.id} className="row">
              <Cell className="cell cell-name">{tpl.name}</Cell>
              <Cell className="cell">{tpl.description ?? ''}</Cell>
              <Cell className="cell">{date(tpl.updated_at)}</Cell>
              <Cell className="cell cell-actions cell-wide">
                <Button className="btn btn-secondary btn-small" aria-label={`${t('templates.use')}: ${tpl.name}`} onPress={() => void use(tpl)}>
                  {t('templates.useShort')}
                </Button>
              </Cell>
            </Row>
          )}
        </TableBody>
      </Table>
    </div>
    </>
  );
}
