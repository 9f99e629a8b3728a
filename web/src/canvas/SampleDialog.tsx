// The rows that took a transition in a run (up to 100, GET /runs/{id}/transitions/{from}/{port}/
// sample), in a dialog; the API says why when the run's work tables are gone.
import { useEffect, useState } from 'react';
import { Button, Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { api, ApiError, unwrap } from '../api/client';
import { useI18n } from '../i18n/I18n';

export function SampleDialog(props: { runId: number; from: string; port: string; onClose: () => void }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<Record<string, unknown>[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api
      .GET('/runs/{id}/transitions/{from}/{port}/sample', { params: { path: { id: String(props.runId), from: props.from, port: props.port } } })
      .then((r) => live && setRows(unwrap(r).rows as Record<string, unknown>[]))
      .catch((e: unknown) => live && setError(e instanceof ApiError ? e.message : t('error.network')));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.runId, props.from, props.port]);
  const cols = rows && rows.length ? Object.keys(rows[0] ?? {}) : [];
  return (
    <ModalOverlay className="overlay" isOpen isDismissable onOpenChange={(o) => !o && props.onClose()}>
      <Modal className="modal modal-wide">
        <Dialog className="dialog">
          <Heading slot="title">{t('sample.title', { from: props.from, port: props.port, run: props.runId })}</Heading>
          {error && (
            <p className="notice notice-error" role="alert">
              {t('error.title', { message: error })}
            </p>
          )}
          {!error && !rows && <p>{t('app.loading')}</p>}
          {rows && !rows.length && <p>{t('sample.empty')}</p>}
          {rows && rows.length > 0 && (
            <div className="sample-wrap">
              <table className="table sample">
                <caption className="visually-hidden">{t('sample.title', { from: props.from, port: props.port, run: props.runId })}</caption>
                <thead>
                  <tr>
                    {cols.map((c) => (
                      <th key={c} scope="col">
                        {c}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => (
                    <tr key={i}>
                      {cols.map((c) => (
                        <td key={c}>{r[c] === null || r[c] === undefined ? '' : String(r[c])}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="dialog-buttons">
            <Button className="btn btn-cta" onPress={props.onClose} autoFocus>
              {t('columns.done')}
            </Button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
