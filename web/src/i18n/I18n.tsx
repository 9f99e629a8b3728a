// The language of the UI: chosen from the browser, switchable, remembered in localStorage.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { I18nProvider as AriaI18nProvider } from 'react-aria-components';
import type { Lang, MessageKey } from './messages';
import { LANG_KEY, formatDateTime, formatNumber, pickLang, translate, type Params } from './lang';

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, params?: Params) => string;
  date: (iso: string | null | undefined, timeZone?: string) => string;
  num: (n: number) => string;
}

const Ctx = createContext<I18n | null>(null);

function savedLang(): string | null {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => pickLang(savedLang(), navigator.languages ?? [navigator.language]));
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(LANG_KEY, l);
    } catch {
      /* private mode: the choice lasts for this page */
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, 'app.name');
  }, [lang]);
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang,
      t: (key, params) => translate(lang, key, params),
      date: (iso, tz) => formatDateTime(lang, iso, tz),
      num: (n) => formatNumber(lang, n),
    }),
    [lang, setLang],
  );
  return (
    <Ctx.Provider value={value}>
      <AriaI18nProvider locale={lang}>{children}</AriaI18nProvider>
    </Ctx.Provider>
  );
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
