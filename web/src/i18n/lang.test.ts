import { describe, expect, it } from 'vitest';
import { catalogs } from './messages';
import { formatDateTime, pickLang, translate } from './lang';

describe('language', () => {
  it('a saved choice wins, then the browser, then English', () => {
    expect(pickLang('fr', ['en-US'])).toBe('fr');
    expect(pickLang(null, ['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(pickLang('xx', ['de'])).toBe('en');
  });
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('fr', 'confirm.delete.title', { name: 'Soldes' })).toBe('Supprimer « Soldes » ?');
    expect(translate('en', 'list.range', { from: 1 })).toBe('1–{to} of {total}');
  });
  it('the French catalogue translates the seed screen', () => {
    expect(catalogs.fr['list.title']).toBe('Campagnes à plusieurs étapes');
    expect(catalogs.fr['status.failed']).toBe('Avec erreur');
    for (const [k, v] of Object.entries(catalogs.fr)) expect(v, k).not.toBe('');
  });
  it('dates in the given time zone and locale, empty for null', () => {
    expect(formatDateTime('en', null)).toBe('');
    expect(formatDateTime('fr', '2026-03-29T07:00:00Z', 'Europe/Paris')).toMatch(/29 mars 2026.*09:00/);
    expect(formatDateTime('en', '2026-03-29T07:00:00Z', 'UTC')).toMatch(/Mar 29, 2026.*7:00/);
  });
});
