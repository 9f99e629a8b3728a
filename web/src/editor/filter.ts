// The filter builder's logic (SPEC §2.1), kept apart from React so it is unit-tested: a filter
// document is a tree of groups (all / any / not), comparisons, link tests and audience tests.
// The editor edits it in place by path ([] is the root; a number is an index in a group).

export type Value = string | number | boolean | null | Value[] | { var: string };
export type Filter =
  | { all: Filter[] }
  | { any: Filter[] }
  | { not: Filter }
  | { field: string; op: string; value?: Value }
  | { link: string; exists: Filter }
  | { link: string; aggregate: string; field?: string; op: string; value?: Value }
  | { in_audience: string };

export type Kind = 'all' | 'any' | 'not' | 'compare' | 'exists' | 'aggregate' | 'audience';

export function kindOf(f: Filter): Kind {
  if ('all' in f) return 'all';
  if ('any' in f) return 'any';
  if ('not' in f) return 'not';
  if ('in_audience' in f) return 'audience';
  if ('link' in f) return 'exists' in f ? 'exists' : 'aggregate';
  return 'compare';
}

export interface Field {
  name: string;
  type: string;
}

const COMMON = ['eq', 'ne', 'in', 'not_in', 'is_null', 'not_null'];
const ORDER = ['lt', 'le', 'gt', 'ge', 'between'];
/** The operators valid for a field of the given type (the discovered schema's type names). */
export function operatorsFor(type: string | undefined): string[] {
  switch (type) {
    case 'integer':
    case 'real':
      return [...COMMON, ...ORDER];
    case 'text':
      return [...COMMON, ...ORDER, 'contains', 'starts_with', 'ends_with'];
    case 'date':
      return [...COMMON, ...ORDER, 'within_last', 'before', 'after'];
    case 'boolean':
      return ['eq', 'ne', 'is_null', 'not_null'];
    default:
      return [...COMMON, ...ORDER, 'contains', 'starts_with', 'ends_with', 'within_last', 'before', 'after'];
  }
}

/** Operators that take no value. */
export const NO_VALUE = new Set(['is_null', 'not_null']);
/** Operators whose value is a list (comma-separated in the form). */
export const LIST_VALUE = new Set(['in', 'not_in', 'between']);

/** The text shown in a value box for a value of the document. */
export function valueToText(v: Value | undefined): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => valueToText(x)).join(', ');
  if (typeof v === 'object') return `$${v.var}`;
  return String(v);
}

function scalar(s: string, type: string | undefined): Value {
  const t = s.trim();
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(t)) return { var: t.slice(1) };
  if (type === 'integer' || type === 'real') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : t;
  }
  if (type === 'boolean') {
    if (/^(true|1|yes)$/i.test(t)) return true;
    if (/^(false|0|no)$/i.test(t)) return false;
  }
  return t;
}

/** A value box's text as the document's value, typed by the field and the operator:
 * numbers for numeric fields, booleans for boolean fields, lists for in/not_in/between,
 * `$name` for a campaign variable. */
export function textToValue(text: string, type: string | undefined, op: string): Value | undefined {
  if (NO_VALUE.has(op)) return undefined;
  if (LIST_VALUE.has(op)) return text.split(',').filter((s) => s.trim() !== '').map((s) => scalar(s, type));
  if (op === 'within_last') return text.trim();
  return scalar(text, type);
}

/** A new comparison on the first field (or an empty one). */
export function newComparison(fields: Field[]): Filter {
  const f = fields[0];
  return { field: f?.name ?? '', op: 'eq', value: f?.type === 'boolean' ? true : '' };
}

export type Path = number[];

/** The children of a group, or [] for a leaf. `not` has one child, at index 0. */
export function children(f: Filter): Filter[] {
  if ('all' in f) return f.all;
  if ('any' in f) return f.any;
  if ('not' in f) return [f.not];
  if ('exists' in f) return [f.exists];
  return [];
}

function withChildren(f: Filter, kids: Filter[]): Filter {
  if ('all' in f) return { ...f, all: kids };
  if ('any' in f) return { ...f, any: kids };
  if ('not' in f) return { ...f, not: kids[0] ?? { all: [] } };
  if ('exists' in f) return { ...f, exists: kids[0] ?? { all: [] } };
  return f;
}

export function getAt(root: Filter, path: Path): Filter | undefined {
  let f: Filter | undefined = root;
  for (const i of path) f = f ? children(f)[i] : undefined;
  return f;
}

/** A copy of the tree with the node at `path` replaced by fn(node); fn returning null removes it
 * from its group (removing the root gives null). */
export function updateAt(root: Filter, path: Path, fn: (f: Filter) => Filter | null): Filter | null {
  if (path.length === 0) return fn(root);
  const [i, ...rest] = path;
  const kids = children(root);
  if (i === undefined || i >= kids.length) return root;
  const child = kids[i] as Filter;
  const next = updateAt(child, rest, fn);
  const copy = kids.slice();
  if (next === null) copy.splice(i, 1);
  else copy[i] = next;
  return withChildren(root, copy);
}

/** Adds a condition to the group at `path` (a leaf at `path` is first wrapped in an `all`). */
export function addTo(root: Filter, path: Path, item: Filter): Filter {
  return (
    updateAt(root, path, (f) => {
      const k = kindOf(f);
      if (k === 'all' || k === 'any') return withChildren(f, [...children(f), item]);
      return { all: [f, item] };
    }) ?? item
  );
}

/** Changes a group between all and any, or wraps a node in / unwraps it from a `not`. */
export function setGroupKind(f: Filter, kind: 'all' | 'any'): Filter {
  return kind === 'all' ? { all: children(f) } : { any: children(f) };
}
export function toggleNot(f: Filter): Filter {
  return 'not' in f ? f.not : { not: f };
}

/** The JSON path suffix of a node (for matching the API's validation errors): `.all[0].not`. */
export function jsonPath(root: Filter, path: Path): string {
  let s = '';
  let f: Filter | undefined = root;
  for (const i of path) {
    if (!f) break;
    if ('all' in f) s += `.all[${i}]`;
    else if ('any' in f) s += `.any[${i}]`;
    else if ('not' in f) s += '.not';
    else if ('exists' in f) s += '.exists';
    f = children(f)[i];
  }
  return s;
}

/** The personalization fields used in a text: `{{first_name | default: "x"}}` → first_name. */
export function placeholders(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\{\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[1] && !out.includes(m[1])) out.push(m[1]);
  return out;
}

/** A preview of a personalized text with sample values: a missing value takes its default. */
export function renderPreview(text: string, sample: Record<string, string>): string {
  return text.replace(/\{\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default:\s*"((?:[^"\\]|\\.)*)"\s*)?\}?\}\}/g, (_m, name: string, def?: string) => {
    const v = sample[name];
    return v !== undefined && v !== '' ? v : (def ?? '');
  });
}
