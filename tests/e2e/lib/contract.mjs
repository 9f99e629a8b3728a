// The API contract in the end-to-end tests: every response that a test gets through a
// daemon's api() (lib/daemon.mjs) is checked against api/openapi.json, the status included
// (a status the operation does not declare is a failure), its body against the declared
// schema with ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses). A path the document does not
// have must be a 404, a method a path does not have a 405 with Allow, both with the error
// envelope. Not a test file itself.
//
// Each test process counts what it validated and appends the number to a file
// (STEPWISE_VALIDATED_FILE, default $TMPDIR/stepwise-validated-responses.txt) when it exits;
// `make check` sums them.
import { readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fileURLToPath } from 'node:url';

// The repository (as lib/helpers.mjs computes it; not imported from there, which imports us).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const BASE = 'https://stepwise.invalid/api/v1/';
export const openapi = JSON.parse(readFileSync(path.join(ROOT, 'api', 'openapi.json'), 'utf8'));
export const campaignSchema = JSON.parse(readFileSync(path.join(ROOT, 'api', 'schemas', 'campaign.json'), 'utf8'));

export const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats.default ? addFormats.default(ajv) : addFormats(ajv);
ajv.addFormat('password', true);
// The file has no $id (it is served from wherever the daemon runs): give it its address here.
ajv.addSchema({ ...campaignSchema, $id: `${BASE}schemas/campaign.json` });
ajv.addSchema(openapi, `${BASE}openapi.json`);

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const routes = Object.keys(openapi.paths)
  .map((p) => ({
    template: p,
    re: new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
    params: (p.match(/\{/g) || []).length,
  }))
  .sort((a, b) => a.params - b.params); // a literal segment wins over a parameter

const ptr = (...parts) => parts.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map();
function validatorAt(pointer) {
  let v = validators.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `${BASE}openapi.json#/${pointer}` });
    validators.set(pointer, v);
  }
  return v;
}
const ERROR_PTR = 'components/schemas/Error';

/** Resolve a response object ($ref to components/responses), with its JSON pointer. */
function resolveResponse(obj, pointer) {
  while (obj && obj.$ref) {
    const p = obj.$ref.replace(/^#\//, '');
    obj = p.split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], openapi);
    pointer = p;
  }
  return { obj, pointer };
}

/** Throws when a campaign document the engine ran or accepted does not match the schema. */
export function checkCampaignDocument(doc, where) {
  const v = ajv.getSchema(`${BASE}schemas/campaign.json`);
  if (!v(doc)) {
    throw new Error(`API contract (api/schemas/campaign.json): ${where} accepted a document the schema refuses\n` +
      `${ajv.errorsText(v.errors, { separator: '\n', dataVar: 'doc' })}\ndoc: ${JSON.stringify(doc).slice(0, 800)}`);
  }
}

let count = 0;
const file = process.env.STEPWISE_VALIDATED_FILE || path.join(tmpdir(), 'stepwise-validated-responses.txt');
process.on('exit', () => {
  if (count) {
    try {
      appendFileSync(file, `${count} ${path.basename(process.argv[1] || 'node')}\n`);
    } catch {
      /* counting is a report, never a failure */
    }
  }
});
export const validatedCount = () => count;

function fail(what, method, url, res, why) {
  const body = (res.text || '').slice(0, 600);
  throw new Error(`API contract (api/openapi.json): ${method} ${url} → ${res.status}: ${what}${why ? `\n${why}` : ''}\nbody: ${body}`);
}

function checkJson(method, url, res, pointer) {
  if (method === 'HEAD') return;
  if (res.json === null && res.text !== 'null') return fail('the body is not JSON', method, url, res);
  const v = validatorAt(pointer);
  if (!v(res.json)) {
    fail(`the body does not match #/${pointer}`, method, url, res, ajv.errorsText(v.errors, { separator: '\n', dataVar: 'body' }));
  }
}

/**
 * Check one response. url: the path (and query) the request went to; res: {status, json,
 * text, headers}; body: the JSON text the request sent, if any (a request the server
 * accepted, 2xx, must match the documented request body: the document may not be stricter
 * than the server). Returns true when the response was checked (it is under /api/v1),
 * throws on a mismatch.
 */
export function validateResponse(method, url, res, body = null) {
  const u = new URL(url, 'http://x');
  let p = u.pathname;
  if (p !== '/api/v1' && !p.startsWith('/api/v1/')) return false; // the UI, root /healthz, /metrics
  p = p.slice('/api/v1'.length);
  const route = routes.find((r) => r.re.test(p));
  const ctype = (res.headers.get('content-type') || '').split(';')[0].trim();
  const m = method.toLowerCase();
  if (!route || !openapi.paths[route.template][m]) {
    if (!route && res.status !== 404) fail('a path the document does not have must be a 404', method, url, res);
    if (route && res.status !== 405) fail('a method the path does not have must be a 405', method, url, res);
    if (route) {
      const allow = (res.headers.get('allow') || '').split(/,\s*/).filter(Boolean).sort();
      const want = METHODS.filter((x) => openapi.paths[route.template][x]).map((x) => x.toUpperCase()).sort();
      if (allow.join() !== want.join()) fail(`Allow: ${allow.join(', ')} (the document says ${want.join(', ')})`, method, url, res);
    }
    if (ctype !== 'application/json') fail(`error content type ${ctype}`, method, url, res);
    checkJson(method, url, res, ERROR_PTR);
    count++;
    return true;
  }
  const reqBody = openapi.paths[route.template][m].requestBody?.content?.['application/json'];
  if (reqBody && body && res.status >= 200 && res.status < 300) {
    let sent;
    try {
      sent = JSON.parse(body);
    } catch {
      sent = undefined;
    }
    const v = validatorAt(`${ptr('paths', route.template, m, 'requestBody', 'content', 'application/json', 'schema')}`);
    if (sent !== undefined && !v(sent)) {
      fail('the server accepted a request body that the document refuses', method, url, res,
        `${ajv.errorsText(v.errors, { separator: '\n', dataVar: 'request' })}\nrequest: ${String(body).slice(0, 600)}`);
    }
  }
  const base = ptr('paths', route.template, m, 'responses');
  const declared = openapi.paths[route.template][m].responses;
  if (!declared[String(res.status)]) {
    fail(`status ${res.status} is not declared (declared: ${Object.keys(declared).join(', ')})`, method, url, res);
  }
  const { obj, pointer } = resolveResponse(declared[String(res.status)], `${base}/${res.status}`);
  if (!obj.content) {
    if (res.text) fail('the document declares no body', method, url, res);
  } else {
    const media = obj.content[ctype];
    if (!media) fail(`content type ${ctype || '(none)'} is not declared (${Object.keys(obj.content).join(', ')})`, method, url, res);
    if (ctype === 'application/json') checkJson(method, url, res, `${pointer}/content/${ptr(ctype)}/schema`);
  }
  count++;
  return true;
}
