// "Create campaign" (a draft with one audience activity, opened on its page) and "Create
// template" (a template from scratch, with the same skeleton): one name, then the API.
import { useState, type FormEvent } from 'react';
import { Button, Dialog, DialogTrigger, Form, Heading, Input, Label, Modal, ModalOverlay, TextField } from 'react-aria-components';
import { api, ApiError, unwrap, type CampaignDocument } from '../api/client';
import { navigate } from '../app/router';
import { useI18n } from '../i18n/I18n';

export function CreateCampaign({ kind = 'campaign', onCreated }: { kind?: 'campaign' | 'template'; onCreated?: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent, close: () => void) {
    e.preventDefault();
    setError(null);
    try {
      // The generated document type carries the JSON Schema's $defs as a field: cast past it.
      const body = {
        name: name.trim() || t(kind === 'campaign' ? 'create.defaultName' : 'create.defaultTemplate'),
        activities: [{ id: 'audience', type: 'build_audience' }],
        transitions: [],
      } as unknown as CampaignDocument;
      if (kind === 'template') {
        unwrap(await api.POST('/templates', { body }));
        close();
        setName('');
        onCreated?.();
        return;
      }
      const c = unwrap(await api.POST('/campaigns', { body }));
      close();
      navigate(`/campaigns/${c.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setError(err instanceof ApiError ? err.message : t('error.network'));
    }
  }

  return (
    <DialogTrigger>
      <Button className={kind === 'campaign' ? 'btn btn-cta' : 'btn btn-secondary'}>{t(kind === 'campaign' ? 'list.create' : 'templates.create')}</Button>
      <ModalOverlay className="overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog">
            {({ close }) => (
              <Form onSubmit={(e) => void submit(e, close)}>
                <Heading slot="title">{t(kind === 'campaign' ? 'create.title' : 'templates.create')}</Heading>
                <TextField className="field" value={name} onChange={setName} autoFocus isRequired>
                  <Label>{t('create.name')}</Label>
                  <Input />
                </TextField>
                {error && (
                  <p className="notice notice-error" role="alert">
                    {error}
                  </p>
                )}
                <div className="dialog-buttons">
                  <Button className="btn btn-secondary" onPress={close}>
                    {t('action.cancel')}
                  </Button>
                  <Button type="submit" className="btn btn-cta">
                    {t('create.submit')}
                  </Button>
                </div>
              </Form>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}
