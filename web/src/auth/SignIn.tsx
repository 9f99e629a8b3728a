// The sign-in form (SPEC §6: "Username", "Password", "Sign in").
import { useState, type FormEvent } from 'react';
import { Button, Form, Input, Label, TextField } from 'react-aria-components';
import { useI18n } from '../i18n/I18n';
import { ApiError, signIn } from './session';

export function SignIn({ expired }: { expired: boolean }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('signIn.failed'));
      else if (err instanceof ApiError && err.status === 429) setError(t('signIn.throttled'));
      else if (err instanceof ApiError) setError(err.message);
      else setError(t('error.network'));
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark" />
          {t('app.name')}
        </div>
        <h1>{t('signIn.title')}</h1>
        {expired && (
          <p className="notice notice-info" role="status">
            {t('signIn.expired')}
          </p>
        )}
        <Form onSubmit={submit}>
          <TextField className="field" name="username" value={username} onChange={setUsername} isRequired autoComplete="username" autoFocus>
            <Label>{t('signIn.username')}</Label>
            <Input />
          </TextField>
          <TextField className="field" name="password" type="password" value={password} onChange={setPassword} isRequired autoComplete="current-password">
            <Label>{t('signIn.password')}</Label>
            <Input />
          </TextField>
          {error && (
            <p className="notice notice-error" role="alert">
              {error}
            </p>
          )}
          <Button type="submit" className="btn btn-cta" isDisabled={busy}>
            {t('signIn.submit')}
          </Button>
        </Form>
      </div>
    </main>
  );
}
