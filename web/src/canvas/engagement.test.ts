import { describe, expect, it } from 'vitest';
import type { DeliveryReport } from '../api/client';
import { rates, topLinks } from './engagement';

const report = (o: Partial<DeliveryReport> = {}): DeliveryReport => ({
  run_id: 1, activity: 'mail', targeted: 10, sent: 8, failed: 1, skipped: 1, delivered: 6, bounced: 2, hard_bounced: 1,
  soft_bounced: 1, complained: 1, unsubscribed: 2, unique_opens: 3, machine_opens: 1, unique_clicks: 2, clicks: 5,
  machine_clicks: 4, links: [], ...o,
});

describe('delivery report', () => {
  it('rates opens and clicks over delivered, the rest over sent', () => {
    const r = rates(report());
    expect(r.opens).toBeCloseTo(0.5);
    expect(r.clicks).toBeCloseTo(2 / 6);
    expect(r.delivered).toBeCloseTo(0.75);
    expect(r.bounced).toBeCloseTo(0.25);
    expect(r.complained).toBeCloseTo(0.125);
    expect(r.unsubscribed).toBeCloseTo(0.25);
  });
  it('has no rate before anything is sent', () => {
    const r = rates(report({ sent: 0, delivered: 0, unique_opens: 0 }));
    expect(r.opens).toBeNull();
    expect(r.bounced).toBeNull();
  });
  it('puts the most clicked links first, and only links people clicked', () => {
    const links = [
      { link: 1, url: 'https://a', unique_clicks: 1, clicks: 1 },
      { link: 2, url: 'https://b', unique_clicks: 3, clicks: 3 },
      { link: 3, url: 'https://c', unique_clicks: 1, clicks: 4 },
      { link: 4, url: 'https://d', unique_clicks: 0, clicks: 0 },
    ];
    expect(topLinks(report({ links })).map((l) => l.link)).toEqual([2, 3, 1]);
    expect(topLinks(report({ links }), 1).length).toBe(1);
  });
});
