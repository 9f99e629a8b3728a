// The filter builder (SPEC §2.1): all/any groups, not, comparisons on the dimension's fields with
// the operators valid for each field's type, and link tests ("has at least one order where …").
// The tree logic is in filter.ts; this draws it and reports edits. Validation errors whose JSON
// path points into the filter are shown on the condition and control they concern.
import { useId } from 'react';
import { errorsAt } from './doc';
import {
  addTo,
  getAt,
  jsonPath,
  kindOf,
  LIST_VALUE,
  newComparison,
  NO_VALUE,
  operatorsFor,
  setGroupKind,
  textToValue,
  toggleNot,
  updateAt,
  valueToText,
  type Field,
  type Filter,
  type Path,
  type Value,
} from './filter';
import type { TextKey } from './text';

export interface LinkInfo {
  name: string;
  fields: Field[];
}
type Errs = { sub: string; message: string }[] | undefined;

interface Props {
  value: Filter;
  onChange: (f: Filter | null) => void;
  fields: Field[];
  links: LinkInfo[];
  errors: Errs;
  base: string; // the filter's JSON path inside its activity, e.g. ".filter"
  T: (k: TextKey, p?: Record<string, string | number>) => string;
}

function Errors({ id, list }: { id: string; list: string[] }) {
  if (!list.length) return null;
  return (
    <span id={id} className="field-error">
      {list.join('; ')}
    </span>
  );
}

export function FilterBuilder(props: Props) {
  return (
    <div className="fb" role="group" aria-label={props.T('filter')}>
      <FNode {...props} path={[]} fields={props.fields} />
    </div>
  );
}

function FNode(props: Props & { path: Path }) {
  const { value: root, onChange, path, fields, links, errors, base, T } = props;
  const uid = useId();
  const node = getAt(root, path);
  if (!node) return null;
  const jp = base + jsonPath(root, path);
  const set = (fn: (f: Filter) => Filter | null) => onChange(updateAt(root, path, fn));
  const own = errorsAt(errors, jp, true);
  const removeBtn = (
    <button type="button" className="btn btn-quiet btn-small" onClick={() => set(() => null)}>
      {T('removeCondition')}
    </button>
  );
  const kind = kindOf(node);

  if (kind === 'all' || kind === 'any') {
    const kids = 'all' in node ? node.all : 'any' in node ? node.any : [];
    return (
      <div className={`fb-group${own.length ? ' has-error' : ''}`} role="group" aria-label={T(kind)}>
        <div className="fb-row">
          <label className="fb-label" htmlFor={`${uid}-k`}>
            {T('groupKind')}
          </label>
          <select id={`${uid}-k`} value={kind} onChange={(e) => set((f) => setGroupKind(f, e.target.value as 'all' | 'any'))}>
            <option value="all">{T('all')}</option>
            <option value="any">{T('any')}</option>
          </select>
          <span className="spacer" />
          <button type="button" className="btn btn-quiet btn-small" onClick={() => set((f) => toggleNot(f))}>
            {T('not')}
          </button>
          {path.length > 0 && removeBtn}
        </div>
        <Errors id={`${uid}-e`} list={own} />
        <div className="fb-kids">
          {kids.map((_k, i) => (
            <FNode key={i} {...props} path={[...path, i]} />
          ))}
        </div>
        <div className="fb-row">
          <button type="button" className="btn btn-secondary btn-small" onClick={() => onChange(addTo(root, path, newComparison(fields)))}>
            {T('addCondition')}
          </button>
          <button type="button" className="btn btn-quiet btn-small" onClick={() => onChange(addTo(root, path, { all: [newComparison(fields)] }))}>
            {T('addGroup')}
          </button>
          {links.length > 0 && (
            <button
              type="button"
              className="btn btn-quiet btn-small"
              onClick={() => onChange(addTo(root, path, { link: links[0]!.name, exists: newComparison(links[0]!.fields) }))}
            >
              {T('addLink')}
            </button>
          )}
        </div>
      </div>
    );
  }

  if (kind === 'not') {
    return (
      <div className="fb-group fb-not" role="group" aria-label={T('not')}>
        <div className="fb-row">
          <strong>{T('not')}</strong>
          <span className="spacer" />
          <button type="button" className="btn btn-quiet btn-small" onClick={() => set((f) => toggleNot(f))}>
            {T('not')} ✕
          </button>
          {path.length > 0 && removeBtn}
        </div>
        <Errors id={`${uid}-e`} list={own} />
        <FNode {...props} path={[...path, 0]} />
      </div>
    );
  }

  if (kind === 'exists' && 'exists' in node) {
    const link = links.find((l) => l.name === node.link);
    const lErr = errorsAt(errors, jp + '.link', true);
    return (
      <div className="fb-group fb-link" role="group" aria-label={`${T('link')} ${node.link}`}>
        <div className="fb-row">
          <label className="fb-label" htmlFor={`${uid}-l`}>
            {T('link')}
          </label>
          <select
            id={`${uid}-l`}
            value={node.link}
            aria-invalid={lErr.length > 0 || undefined}
            aria-describedby={lErr.length ? `${uid}-le` : undefined}
            onChange={(e) => {
              const l = links.find((x) => x.name === e.target.value);
              set(() => ({ link: e.target.value, exists: newComparison(l?.fields ?? []) }));
            }}
          >
            {!link && <option value={node.link}>{node.link}</option>}
            {links.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name}
              </option>
            ))}
          </select>
          <span>{T('exists')}</span>
          <span className="spacer" />
          {path.length > 0 && removeBtn}
        </div>
        <Errors id={`${uid}-le`} list={[...own, ...lErr]} />
        <FNode {...props} fields={link?.fields ?? []} path={[...path, 0]} />
      </div>
    );
  }

  if (kind === 'compare' && 'field' in node && !('link' in node)) {
    const field = fields.find((f) => f.name === node.field);
    const ops = operatorsFor(field?.type);
    const fErr = errorsAt(errors, jp + '.field', true);
    const oErr = errorsAt(errors, jp + '.op', true);
    const vErr = errorsAt(errors, jp + '.value');
    const all = [...own, ...fErr, ...oErr, ...vErr];
    return (
      <div className={`fb-cond${all.length ? ' has-error' : ''}`} role="group" aria-label={`${node.field} ${node.op}`}>
        <div className="fb-row">
          <select
            aria-label={T('field')}
            value={node.field}
            aria-invalid={fErr.length > 0 || undefined}
            aria-describedby={all.length ? `${uid}-e` : undefined}
            onChange={(e) => {
              const nf = fields.find((f) => f.name === e.target.value);
              const nops = operatorsFor(nf?.type);
              set((f) => ({ field: e.target.value, op: nops.includes((f as { op: string }).op) ? (f as { op: string }).op : 'eq', value: (f as { value?: Value }).value ?? '' }));
            }}
          >
            {!field && <option value={node.field}>{node.field || '—'}</option>}
            {fields.map((f) => (
              <option key={f.name} value={f.name}>
                {f.name}
              </option>
            ))}
          </select>
          <select
            aria-label={T('op')}
            value={node.op}
            aria-invalid={oErr.length > 0 || undefined}
            onChange={(e) => {
              const op = e.target.value;
              set((f) => {
                const c = f as { field: string; op: string; value?: Value };
                const v = textToValue(valueToText(c.value), field?.type, op);
                return v === undefined ? { field: c.field, op } : { field: c.field, op, value: v };
              });
            }}
          >
            {!ops.includes(node.op) && <option value={node.op}>{node.op}</option>}
            {ops.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          {!NO_VALUE.has(node.op) &&
            (field?.type === 'boolean' && !LIST_VALUE.has(node.op) ? (
              <select aria-label={T('value')} value={String(node.value)} onChange={(e) => set(() => ({ field: node.field, op: node.op, value: e.target.value === 'true' }))}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                aria-label={T('value')}
                defaultValue={valueToText(node.value)}
                key={`${node.field}|${node.op}|${valueToText(node.value)}`}
                aria-invalid={vErr.length > 0 || undefined}
                type="text"
                onBlur={(e) => {
                  const v = textToValue(e.target.value, field?.type, node.op);
                  if (valueToText(v) !== valueToText(node.value) || typeof v !== typeof node.value) set(() => ({ field: node.field, op: node.op, value: v as Value }));
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
                }}
              />
            ))}
          {removeBtn}
        </div>
        <Errors id={`${uid}-e`} list={all} />
      </div>
    );
  }

  // An aggregate link test or an audience test: edited as JSON here.
  return (
    <div className={`fb-cond${own.length ? ' has-error' : ''}`}>
      <div className="fb-row">
        <input
          aria-label={T('options')}
          className="fb-raw"
          defaultValue={JSON.stringify(node)}
          onBlur={(e) => {
            try {
              set(() => JSON.parse(e.target.value) as Filter);
            } catch {
              /* kept as typed until it parses */
            }
          }}
        />
        {removeBtn}
      </div>
      <Errors id={`${uid}-e`} list={own} />
    </div>
  );
}
