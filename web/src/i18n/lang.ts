// Language choice and formatting, kept free of React so that it can be unit-tested.
import { catalogs, type Lang, type MessageKey, LANGS } from './messages';

export const LANG_KEY = 'stepwise.lang';

/** The saved choice, else the first browser language we have, else English. */
export function pickLang(saved: string | null, browser: readonly string[]): Lang {
  if (saved && (LANGS as readonly string[]).includes(saved)) return saved as Lang;
  for (const tag of browser) {
    const base = tag.toLowerCase().split('-')[0];
    if (base && (LANGS as readonly string[]).includes(base)) return base as Lang;
  }
  return 'en';
}

export type Params = Record<string, string | number>;

/** A message of the catalogue with its {placeholders} filled. */
export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const s: string = catalogs[lang][key];
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** A date-time of the API (ISO-8601 UTC) in the user's locale and time zone; '' for null. */
export function formatDateTime(lang: Lang, iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const k = `${lang}|${timeZone ?? ''}`;
  let f = dateFormats.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) });
    dateFormats.set(k, f);
  }
  return f.format(d);
}

const numberFormats = new Map<string, Intl.NumberFormat>();
export function formatNumber(lang: Lang, n: number): string {
  let f = numberFormats.get(lang);
  if (!f) {
    f = new Intl.NumberFormat(lang);
    numberFormats.set(lang, f);
  }
  return f.format(n);
}
