// The one API client of the UI: openapi-fetch typed by the generated schema (schema.gen.ts).
// Components never build URLs or parse JSON by hand. Every write carries a JSON content type
// (the server refuses cookie-authenticated writes without one); any 401 outside sign-in tells
// the session store that the session is gone, which brings back the sign-in form in place.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.gen';

export type Schemas = components['schemas'];
export type Campaign = Schemas['CampaignSummary'];
export type CampaignFull = Schemas['Campaign'];
export type CampaignStatus = Schemas['CampaignStatus'];
export type CampaignList = Schemas['CampaignPage'];
export type Template = Schemas['TemplateSummary'];
export type Run = Schemas['Run'];
export type Task = Schemas['Task'];
export type DeliveryReport = Schemas['DeliveryReport'];
export type Log = Schemas['Log'];
export type Session = Schemas['Session'];
export type CampaignDocument = Schemas['CampaignDocument'];
export type ApiErrorBody = Schemas['Error'];

/** An error answer of the API, with its message for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: { path?: string | null; message: string }[];
  constructor(status: number, body: unknown) {
    const e = (body as Partial<ApiErrorBody> | undefined)?.error;
    super(e?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = e?.code ?? 'HTTP_' + status;
    this.details = e?.details ?? [];
  }
}

type Listener = () => void;
const unauthorized = new Set<Listener>();
/** Called on every 401 (except the sign-in request itself). */
export function onUnauthorized(fn: Listener): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

const middleware: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && !request.headers.has('Content-Type')) {
      request.headers.set('Content-Type', 'application/json');
    }
    return request;
  },
  onResponse({ request, response }) {
    const signingIn = request.method === 'POST' && new URL(request.url).pathname.endsWith('/session');
    if (response.status === 401 && !signingIn) unauthorized.forEach((fn) => fn());
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '/api/v1', credentials: 'same-origin' });
api.use(middleware);

/** The data of an openapi-fetch result, or its error thrown as an ApiError. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || !r.response.ok) throw new ApiError(r.response.status, r.error);
  return r.data as T;
}

/** An empty JSON body for writes that take none (the server wants JSON on cookie writes). */
export const EMPTY = {} as never;
