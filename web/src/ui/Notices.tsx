// Short messages after an action: successes in a polite status region, the API's refusals in
// an alert. Shared by the pages through a small context.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Button } from 'react-aria-components';
import { useI18n } from '../i18n/I18n';

interface Notice {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}
interface Notices {
  ok: (text: string) => void;
  error: (text: string) => void;
}
const Ctx = createContext<Notices | null>(null);
let seq = 0;

export function NoticesProvider({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const [items, setItems] = useState<Notice[]>([]);
  const dismiss = useCallback((id: number) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const push = useCallback(
    (kind: Notice['kind'], text: string) => {
      const id = ++seq;
      setItems((xs) => [...xs.slice(-2), { id, kind, text }]);
      if (kind === 'ok') window.setTimeout(() => dismiss(id), 6000);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ ok: (s: string) => push('ok', s), error: (s: string) => push('error', s) }), [push]);
  const render = (kind: Notice['kind']) =>
    items
      .filter((n) => n.kind === kind)
      .map((n) => (
        <div key={n.id} className={`toast toast-${n.kind}`}>
          <span>{n.text}</span>
          <Button className="toast-close" aria-label={t('notice.dismiss')} onPress={() => dismiss(n.id)}>
            ×
          </Button>
        </div>
      ));
  return (
    <Ctx.Provider value={value}>
      {children}
      <div className="toasts">
        <div role="status">{render('ok')}</div>
        <div role="alert">{render('error')}</div>
      </div>
    </Ctx.Provider>
  );
}

export function useNotices(): Notices {
  const v = useContext(Ctx);
  if (!v) throw new Error('useNotices outside NoticesProvider');
  return v;
}
