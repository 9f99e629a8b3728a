import { describe, expect, it } from 'vitest';
import { matchRoute } from './router';

describe('routes', () => {
  it('maps paths to pages, the editor included', () => {
    expect(matchRoute('/')).toEqual({ page: 'campaigns' });
    expect(matchRoute('/templates')).toEqual({ page: 'templates' });
    expect(matchRoute('/campaigns/12')).toEqual({ page: 'campaign', id: 12 });
    expect(matchRoute('/campaigns/new')).toEqual({ page: 'editor', id: null });
    expect(matchRoute('/campaigns/12/edit')).toEqual({ page: 'editor', id: 12 });
    expect(matchRoute('/campaigns/12/edit/')).toEqual({ page: 'editor', id: 12 });
    expect(matchRoute('/campaigns/x/edit')).toEqual({ page: 'notFound' });
    expect(matchRoute('/campaigns/new/edit')).toEqual({ page: 'notFound' });
  });
});
