// The form of the selected activity: its id, the main options of its type (a filter builder for
// audiences and split segments, segments, deduplicate keys, enrich columns, wait, test
// conditions, end's signal, a message's fields with a personalization preview), and its output
// links (the keyboard's way to connect ports). Errors located under the activity show beside
// the field their JSON path names.
import { useId, useState, type ReactNode } from 'react';
import { edgeId, errorsAt, hasInput, portsOf, type Activity, type Doc } from './doc';
import { FilterBuilder, type LinkInfo } from './FilterBuilder';
import { newComparison, placeholders, renderPreview, type Field, type Filter } from './filter';
import type { TextKey } from './text';

type Errs = { sub: string; message: string }[] | undefined;
type T = (k: TextKey, p?: Record<string, string | number>) => string;

interface Props {
  a: Activity;
  doc: Doc;
  errors: Errs;
  fields: Field[];
  links: LinkInfo[];
  known: Set<string>; // personalization fields: dimension, enrichment, variables
  dimName: string;
  T: T;
  onChange: (next: Activity, mergeKey?: string) => void;
  onRemove: () => void;
  onConnect: (port: string, to: string) => void;
  onDisconnect: (edge: string) => void;
}

function FieldBox({ label, errors, children }: { label: string; errors: string[]; children: (id: string, describedBy?: string) => ReactNode }) {
  const id = useId();
  return (
    <div className={`ef${errors.length ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, errors.length ? `${id}-e` : undefined)}
      {errors.length > 0 && (
        <span id={`${id}-e`} className="field-error">
          {errors.join('; ')}
        </span>
      )}
    </div>
  );
}

/** The options each type's form shows (with their errors beside them). */
const SHOWN: Record<string, string[]> = {
  build_audience: ['filter'],
  read_audience: ['audience', 'filter'],
  split: ['segments', 'complement'],
  deduplicate: ['fields', 'keep'],
  enrich: ['columns'],
  wait: ['duration'],
  test: ['conditions'],
  end: ['signal'],
  email: ['to_field', 'from', 'subject', 'text', 'html'],
  sms: ['to_field', 'text'],
  push: ['to_field', 'title', 'body'],
  alert: ['title', 'message'],
  save_audience: ['audience', 'mode'],
  combine: ['operation', 'complement'],
  join: ['mode'],
  export: ['path'],
  change_dimension: ['to', 'via'],
};

export function ActivityForm(p: Props) {
  const { a, T, errors, onChange } = p;
  const set = (k: string, v: unknown, merge = true) => {
    const next: Activity = { ...a };
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    onChange(next, merge ? `${a.id}.${k}` : undefined);
  };
  const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : '');
  const text = (k: string, label: TextKey, multiline = false) => (
    <FieldBox label={T(label)} errors={errorsAt(errors, '.' + k)}>
      {(id, d) =>
        multiline ? (
          <textarea id={id} rows={3} value={str(k)} aria-invalid={!!d || undefined} aria-describedby={d} onChange={(e) => set(k, e.target.value)} />
        ) : (
          <input id={id} type="text" value={str(k)} aria-invalid={!!d || undefined} aria-describedby={d} onChange={(e) => set(k, e.target.value)} />
        )
      }
    </FieldBox>
  );
  const choice = (k: string, label: TextKey, options: string[], allowNone = false) => (
    <FieldBox label={T(label)} errors={errorsAt(errors, '.' + k)}>
      {(id, d) => (
        <select id={id} value={str(k)} aria-invalid={!!d || undefined} aria-describedby={d} onChange={(e) => set(k, e.target.value, false)}>
          {(allowNone || !options.includes(str(k))) && <option value={allowNone ? '' : str(k)}>{allowNone ? T('none') : str(k)}</option>}
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )}
    </FieldBox>
  );
  const filter = (f: unknown, onF: (f: Filter | null) => void, base: string) =>
    f && typeof f === 'object' ? (
      <>
        <FilterBuilder value={f as Filter} onChange={onF} fields={p.fields} links={p.links} errors={errors} base={base} T={T} />
        <button type="button" className="btn btn-quiet btn-small" onClick={() => onF(null)}>
          {T('removeFilter')}
        </button>
      </>
    ) : (
      <div className="ef-row">
        <span className="muted">{T('noFilter')}</span>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => onF({ all: [newComparison(p.fields)] })}>
          {T('addFilter')}
        </button>
      </div>
    );
  const fieldNames = p.fields.map((f) => f.name);

  let body: ReactNode = null;
  switch (a.type) {
    case 'build_audience':
    case 'read_audience':
      body = (
        <>
          {a.type === 'read_audience' && text('audience', 'audience')}
          <h4>{T('filter')}</h4>
          {errorsAt(errors, '.filter', true).length > 0 && <span className="field-error">{errorsAt(errors, '.filter', true).join('; ')}</span>}
          {filter(a.filter, (f) => set('filter', f ?? undefined, false), '.filter')}
        </>
      );
      break;
    case 'split': {
      const segs = (Array.isArray(a.segments) ? a.segments : []) as Record<string, unknown>[];
      const setSeg = (i: number, s: Record<string, unknown> | null, merge?: string) => {
        const next = segs.slice();
        if (s === null) next.splice(i, 1);
        else next[i] = s;
        onChange({ ...a, segments: next }, merge);
      };
      body = (
        <>
          <h4>{T('segments')}</h4>
          {segs.map((s, i) => {
            const num = (k: string, label: TextKey) => (
              <FieldBox label={T(label)} errors={errorsAt(errors, `.segments[${i}].${k}`)}>
                {(id, d) => (
                  <input
                    id={id}
                    type="number"
                    min={0}
                    value={typeof s[k] === 'number' ? String(s[k]) : ''}
                    aria-describedby={d}
                    onChange={(e) => {
                      const n = { ...s };
                      if (e.target.value === '') delete n[k];
                      else n[k] = Number(e.target.value);
                      setSeg(i, n, `${a.id}.seg${i}.${k}`);
                    }}
                  />
                )}
              </FieldBox>
            );
            return (
              <fieldset key={i} className="ef-set">
                <legend>{T('segment', { n: i + 1 })}</legend>
                <FieldBox label={T('port')} errors={errorsAt(errors, `.segments[${i}].port`)}>
                  {(id, d) => <input id={id} type="text" value={String(s.port ?? '')} aria-describedby={d} onChange={(e) => setSeg(i, { ...s, port: e.target.value }, `${a.id}.seg${i}.port`)} />}
                </FieldBox>
                <div className="ef-pair">
                  {num('percent', 'percent')}
                  {num('limit', 'limit')}
                </div>
                {filter(
                  s.filter,
                  (f) => {
                    const n = { ...s };
                    if (f) n.filter = f;
                    else delete n.filter;
                    setSeg(i, n);
                  },
                  `.segments[${i}].filter`,
                )}
                <button type="button" className="btn btn-quiet btn-small" onClick={() => setSeg(i, null)}>
                  {T('removeCondition')}
                </button>
              </fieldset>
            );
          })}
          <button type="button" className="btn btn-secondary btn-small" onClick={() => onChange({ ...a, segments: [...segs, { port: `s${segs.length + 1}`, percent: 10 }] })}>
            {T('addSegment')}
          </button>
          {text('complement', 'complement')}
        </>
      );
      break;
    }
    case 'deduplicate': {
      const keep = (a.keep && typeof a.keep === 'object' ? a.keep : {}) as Record<string, unknown>;
      body = (
        <>
          <FieldBox label={T('fields')} errors={errorsAt(errors, '.fields')}>
            {(id, d) => (
              <input
                id={id}
                type="text"
                aria-describedby={d}
                value={Array.isArray(a.fields) ? (a.fields as string[]).join(', ') : ''}
                onChange={(e) => set('fields', e.target.value.split(',').map((s) => s.trim()).filter(Boolean))}
              />
            )}
          </FieldBox>
          <FieldBox label={T('keep')} errors={errorsAt(errors, '.keep')}>
            {(id, d) => (
              <select
                id={id}
                aria-describedby={d}
                value={String(keep.method ?? '')}
                onChange={(e) => set('keep', e.target.value ? { ...keep, count: keep.count ?? 1, method: e.target.value } : undefined, false)}
              >
                <option value="">{T('none')}</option>
                {['random', 'order_by', 'non_empty', 'preferred_values'].map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            )}
          </FieldBox>
          {keep.method === 'order_by' && (
            <div className="ef-pair">
              <FieldBox label={T('field')} errors={errorsAt(errors, '.keep.order_by')}>
                {(id) => (
                  <select id={id} value={String(keep.order_by ?? '')} onChange={(e) => set('keep', { ...keep, order_by: e.target.value }, false)}>
                    <option value="">{T('none')}</option>
                    {fieldNames.map((f) => (
                      <option key={f}>{f}</option>
                    ))}
                  </select>
                )}
              </FieldBox>
              <FieldBox label="direction" errors={[]}>
                {(id) => (
                  <select id={id} value={String(keep.direction ?? 'desc')} onChange={(e) => set('keep', { ...keep, direction: e.target.value }, false)}>
                    <option>asc</option>
                    <option>desc</option>
                  </select>
                )}
              </FieldBox>
            </div>
          )}
        </>
      );
      break;
    }
    case 'enrich': {
      const cols = (Array.isArray(a.columns) ? a.columns : []) as Record<string, unknown>[];
      const setCol = (i: number, c: Record<string, unknown> | null, merge?: string) => {
        const next = cols.slice();
        if (c === null) next.splice(i, 1);
        else next[i] = c;
        onChange({ ...a, columns: next }, merge);
      };
      body = (
        <>
          <h4>{T('columns')}</h4>
          {cols.map((c, i) => {
            const link = p.links.find((l) => l.name === c.link);
            const opts = link ? link.fields.map((f) => f.name) : fieldNames;
            return (
              <fieldset key={i} className="ef-set">
                <legend>{T('column', { n: i + 1 })}</legend>
                <FieldBox label={T('name')} errors={errorsAt(errors, `.columns[${i}].name`)}>
                  {(id, d) => <input id={id} type="text" aria-describedby={d} value={String(c.name ?? '')} onChange={(e) => setCol(i, { ...c, name: e.target.value }, `${a.id}.col${i}`)} />}
                </FieldBox>
                <div className="ef-pair">
                  <FieldBox label={T('link')} errors={errorsAt(errors, `.columns[${i}].link`)}>
                    {(id) => (
                      <select
                        id={id}
                        value={String(c.link ?? '')}
                        onChange={(e) => {
                          const n: Record<string, unknown> = { name: c.name };
                          if (e.target.value) Object.assign(n, { link: e.target.value, aggregate: 'count' });
                          setCol(i, n);
                        }}
                      >
                        <option value="">{T('none')}</option>
                        {p.links.map((l) => (
                          <option key={l.name}>{l.name}</option>
                        ))}
                      </select>
                    )}
                  </FieldBox>
                  {c.link !== undefined && (
                    <FieldBox label={T('aggregate')} errors={errorsAt(errors, `.columns[${i}].aggregate`)}>
                      {(id) => (
                        <select id={id} value={String(c.aggregate ?? '')} onChange={(e) => setCol(i, { ...c, aggregate: e.target.value })}>
                          {['count', 'sum', 'avg', 'min', 'max'].map((g) => (
                            <option key={g}>{g}</option>
                          ))}
                        </select>
                      )}
                    </FieldBox>
                  )}
                </div>
                {c.aggregate !== 'count' && (
                  <FieldBox label={T('field')} errors={errorsAt(errors, `.columns[${i}].field`)}>
                    {(id) => (
                      <select id={id} value={String(c.field ?? '')} onChange={(e) => setCol(i, { ...c, field: e.target.value })}>
                        <option value="">{T('none')}</option>
                        {opts.map((f) => (
                          <option key={f}>{f}</option>
                        ))}
                      </select>
                    )}
                  </FieldBox>
                )}
                <button type="button" className="btn btn-quiet btn-small" onClick={() => setCol(i, null)}>
                  {T('removeCondition')}
                </button>
              </fieldset>
            );
          })}
          <button type="button" className="btn btn-secondary btn-small" onClick={() => onChange({ ...a, columns: [...cols, { name: `col${cols.length + 1}`, field: fieldNames[0] ?? '' }] })}>
            {T('addColumn')}
          </button>
        </>
      );
      break;
    }
    case 'wait':
      body = text('duration', 'duration');
      break;
    case 'test': {
      const conds = (Array.isArray(a.conditions) ? a.conditions : []) as Record<string, unknown>[];
      const setC = (i: number, c: Record<string, unknown> | null, merge?: string) => {
        const next = conds.slice();
        if (c === null) next.splice(i, 1);
        else next[i] = c;
        onChange({ ...a, conditions: next }, merge);
      };
      body = (
        <>
          <h4>{T('conditions')}</h4>
          {conds.map((c, i) => {
            const gt = c.count && typeof c.count === 'object' ? (c.count as { gt?: number }).gt : undefined;
            return (
              <fieldset key={i} className="ef-set">
                <legend>{T('segment', { n: i + 1 })}</legend>
                <div className="ef-pair">
                  <FieldBox label={T('port')} errors={errorsAt(errors, `.conditions[${i}].port`)}>
                    {(id) => <input id={id} type="text" value={String(c.port ?? '')} onChange={(e) => setC(i, { ...c, port: e.target.value }, `${a.id}.c${i}.port`)} />}
                  </FieldBox>
                  <FieldBox label={T('countOver')} errors={errorsAt(errors, `.conditions[${i}].count`)}>
                    {(id) => <input id={id} type="number" value={gt ?? ''} onChange={(e) => setC(i, { ...c, count: { gt: Number(e.target.value) } }, `${a.id}.c${i}.count`)} />}
                  </FieldBox>
                </div>
                <button type="button" className="btn btn-quiet btn-small" onClick={() => setC(i, null)}>
                  {T('removeCondition')}
                </button>
              </fieldset>
            );
          })}
          <button type="button" className="btn btn-secondary btn-small" onClick={() => onChange({ ...a, conditions: [...conds, { port: `c${conds.length + 1}`, count: { gt: 0 } }] })}>
            {T('addConditionTest')}
          </button>
        </>
      );
      break;
    }
    case 'end': {
      const sig = (a.signal && typeof a.signal === 'object' ? a.signal : null) as { campaign?: number } | null;
      body = (
        <FieldBox label={T('signal')} errors={errorsAt(errors, '.signal')}>
          {(id, d) => (
            <input
              id={id}
              type="number"
              min={1}
              aria-describedby={d}
              value={sig?.campaign ?? ''}
              onChange={(e) => set('signal', e.target.value ? { ...(sig ?? {}), campaign: Number(e.target.value) } : undefined)}
            />
          )}
        </FieldBox>
      );
      break;
    }
    case 'email':
    case 'sms':
    case 'push': {
      const parts = a.type === 'email' ? ['subject', 'text', 'html'] : a.type === 'sms' ? ['text'] : ['title', 'body'];
      body = (
        <>
          {choice('to_field', 'toField', fieldNames)}
          {a.type === 'email' && text('from', 'from')}
          {parts.map((k) => (
            <div key={k}>{text(k, k as TextKey, k !== 'subject' && k !== 'title')}</div>
          ))}
          <Preview a={a} parts={parts} known={p.known} dimName={p.dimName} T={T} />
        </>
      );
      break;
    }
    case 'alert':
      body = (
        <>
          {text('title', 'title')}
          {text('message', 'message', true)}
        </>
      );
      break;
    case 'save_audience':
      body = (
        <>
          {text('audience', 'audience')}
          {choice('mode', 'mode', ['replace', 'append'])}
        </>
      );
      break;
    case 'combine':
      body = (
        <>
          {choice('operation', 'operation', ['union', 'intersection', 'exclusion'])}
          {text('complement', 'complement')}
        </>
      );
      break;
    case 'join':
      body = choice('mode', 'mode', ['and', 'or']);
      break;
    case 'export':
      body = text('path', 'path');
      break;
    case 'change_dimension':
      body = (
        <>
          {text('to', 'to')}
          {choice('via', 'via', p.links.map((l) => l.name))}
        </>
      );
      break;
    default:
      body = null;
  }

  const out = p.doc.transitions.filter((t) => t.from === a.id);
  const targets = p.doc.activities.filter((x) => x.id !== a.id && hasInput(x.type));
  const idErr = errorsAt(errors, '.id');
  const typeErr = errorsAt(errors, '.type', true);
  // Errors of options this form does not show are listed at its top, with their path.
  const other = (errors ?? [])
    .filter((e) => e.sub === '' || !SHOWN[a.type]?.includes(e.sub.replace(/^\.([A-Za-z_]+).*$/, '$1')))
    .filter((e) => e.sub !== '.id' && e.sub !== '.type')
    .map((e) => (e.sub ? `${e.sub.slice(1)}: ${e.message}` : e.message));

  return (
    <div className="activity-form">
      {(other.length > 0 || typeErr.length > 0) && (
        <ul className="field-error">
          {[...typeErr, ...other].map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
      <FieldBox label={T('id')} errors={idErr}>
        {(id, d) => (
          <input
            id={id}
            type="text"
            defaultValue={a.id}
            key={a.id}
            aria-describedby={d}
            pattern="[A-Za-z0-9_\-]{1,64}"
            onBlur={(e) => {
              const v = e.target.value.trim();
              if (v && v !== a.id && /^[A-Za-z0-9_-]{1,64}$/.test(v) && !p.doc.activities.some((x) => x.id === v)) onChange({ ...a, id: v });
              else e.target.value = a.id;
            }}
          />
        )}
      </FieldBox>
      {body}
      <h4>{T('outputs')}</h4>
      {portsOf(a).map((port) => (
        <div key={port} className="ef-port">
          <span className="port-name">{port}</span>
          <ul>
            {out
              .filter((t) => (t.port ?? 'out') === port)
              .map((t) => (
                <li key={edgeId(t)}>
                  → {t.to}{' '}
                  <button type="button" className="btn btn-quiet btn-small" aria-label={T('disconnect', { from: `${a.id}:${port}`, to: t.to })} onClick={() => p.onDisconnect(edgeId(t))}>
                    ✕
                  </button>
                </li>
              ))}
          </ul>
          <select
            aria-label={T('connectTo', { port })}
            value=""
            onChange={(e) => {
              if (e.target.value) p.onConnect(port, e.target.value);
            }}
          >
            <option value="">{T('choose')}</option>
            {targets.map((x) => (
              <option key={x.id} value={x.id}>
                {x.id}
              </option>
            ))}
          </select>
        </div>
      ))}
      <button type="button" className="btn btn-negative btn-small" onClick={p.onRemove}>
        {T('remove')}
      </button>
    </div>
  );
}

function Preview({ a, parts, known, dimName, T }: { a: Activity; parts: string[]; known: Set<string>; dimName: string; T: T }) {
  const used = [...new Set(parts.flatMap((k) => placeholders(typeof a[k] === 'string' ? (a[k] as string) : '')))];
  const [sample, setSample] = useState<Record<string, string>>({});
  if (!used.length) return null;
  return (
    <section className="preview" aria-label={T('preview')}>
      <h4>{T('preview')}</h4>
      {used.map((f) => (
        <div key={f} className="ef ef-inline">
          <label>
            {T('sample', { field: f })}
            <input type="text" value={sample[f] ?? ''} onChange={(e) => setSample({ ...sample, [f]: e.target.value })} />
          </label>
          {!known.has(f) && <span className="field-error">{T('unknownField', { field: f, dim: dimName })}</span>}
        </div>
      ))}
      {parts.map((k) =>
        typeof a[k] === 'string' && a[k] ? (
          <div key={k} className="preview-part">
            <span className="muted">{T(k as TextKey)}</span>
            <output className="preview-text">{renderPreview(a[k] as string, sample)}</output>
          </div>
        ) : null,
      )}
    </section>
  );
}
