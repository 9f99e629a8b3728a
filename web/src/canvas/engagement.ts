// What the delivery report says, ready to show: rates over delivered messages (opens, clicks)
// and over sent ones (bounces, complaints, unsubscribes), as fractions for Intl's percent style.
import type { DeliveryReport } from '../api/client';

export type Rates = { delivered: number | null; opens: number | null; clicks: number | null; bounced: number | null; complained: number | null; unsubscribed: number | null };

const frac = (n: number, of: number) => (of > 0 ? n / of : null);

export function rates(r: DeliveryReport): Rates {
  return {
    delivered: frac(r.delivered, r.sent),
    opens: frac(r.unique_opens, r.delivered),
    clicks: frac(r.unique_clicks, r.delivered),
    bounced: frac(r.bounced, r.sent),
    complained: frac(r.complained, r.sent),
    unsubscribed: frac(r.unsubscribed, r.sent),
  };
}

/** Links people clicked, most clicked first (by people, then by clicks, then by position). */
export function topLinks(r: DeliveryReport, n = 5): DeliveryReport['links'] {
  return r.links.filter((l) => l.unique_clicks > 0).sort((a, b) => b.unique_clicks - a.unique_clicks || b.clicks - a.clicks || a.link - b.link).slice(0, n);
}
