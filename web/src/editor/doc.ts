// The editor's document model, pure TypeScript (unit-tested): a campaign document (SPEC §2) as
// nodes and edges for the canvas, the ports of each activity type, the edits the canvas makes
// (add, connect, delete, rename), the auto layout, and the API's validation errors mapped to
// the activity and the form field they concern.
import dagre from '@dagrejs/dagre';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Activity {
  id: string;
  type: string;
  [k: string]: unknown;
}
export interface Transition {
  from: string;
  to: string;
  port?: string;
}
export interface Doc {
  name: string;
  description?: string;
  campaign?: string;
  tags?: string[];
  targeting_dimension?: string;
  timezone?: string;
  schedule?: Record<string, unknown> | null;
  activities: Activity[];
  transitions: Transition[];
  [k: string]: unknown;
}

/** The activity types of SPEC §2.2, in the palette's order. */
export const TYPES = [
  'build_audience',
  'read_audience',
  'combine',
  'split',
  'deduplicate',
  'enrich',
  'change_dimension',
  'save_audience',
  'fork',
  'join',
  'wait',
  'test',
  'end',
  'alert',
  'email',
  'sms',
  'push',
  'export',
] as const;

/** Population sources have no input. */
export function hasInput(type: string): boolean {
  return type !== 'build_audience' && type !== 'read_audience';
}

function named(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((x) => (x && typeof x === 'object' && typeof (x as { port?: unknown }).port === 'string' ? (x as { port: string }).port : '')).filter(Boolean);
}

/** The output ports of an activity, from its type and options. */
export function portsOf(a: Activity): string[] {
  switch (a.type) {
    case 'end':
      return [];
    case 'split': {
      const p = named(a.segments);
      if (typeof a.complement === 'string' && a.complement) p.push(a.complement);
      return p;
    }
    case 'test': {
      const p = named(a.conditions);
      if (!p.includes('default')) p.push('default');
      return p;
    }
    case 'combine':
      return typeof a.complement === 'string' && a.complement ? ['out', a.complement] : ['out'];
    case 'deduplicate':
      return ['out', 'duplicates'];
    case 'email':
    case 'sms':
    case 'push':
      return ['out', 'failed'];
    default:
      return ['out'];
  }
}

/** Default options of a new activity of a type, so that it is valid or close to it. */
export function newActivity(type: string, id: string): Activity {
  switch (type) {
    case 'split':
      return { id, type, segments: [{ port: 'a', percent: 50 }], complement: 'others' };
    case 'test':
      return { id, type, conditions: [{ port: 'big', count: { gt: 1000 } }] };
    case 'combine':
      return { id, type, operation: 'union' };
    case 'deduplicate':
      return { id, type, fields: ['email'] };
    case 'enrich':
      return { id, type, columns: [] };
    case 'wait':
      return { id, type, duration: '1d' };
    case 'save_audience':
      return { id, type, audience: 'audience', mode: 'replace' };
    case 'read_audience':
      return { id, type, audience: 'audience' };
    case 'join':
      return { id, type, mode: 'or' };
    case 'alert':
      return { id, type, title: 'Alert', message: '' };
    case 'email':
      return { id, type, to_field: 'email', subject: 'Hello {{first_name | default: "there"}}', text: 'Hello {{first_name | default: "there"}}' };
    case 'sms':
      return { id, type, to_field: 'phone', text: 'Hello' };
    case 'push':
      return { id, type, to_field: 'push_token', title: 'Hello', body: '' };
    case 'export':
      return { id, type, path: 'export.csv', format: 'csv' };
    case 'change_dimension':
      return { id, type, to: '', via: '' };
    default:
      return { id, type };
  }
}

/** A fresh activity id for a type: `email`, `email_2`, … */
export function freshId(doc: Doc, type: string): string {
  const taken = new Set(doc.activities.map((a) => a.id));
  if (!taken.has(type)) return type;
  for (let i = 2; ; i++) if (!taken.has(`${type}_${i}`)) return `${type}_${i}`;
}

export function addActivity(doc: Doc, type: string): { doc: Doc; id: string } {
  const id = freshId(doc, type);
  return { doc: { ...doc, activities: [...doc.activities, newActivity(type, id)] }, id };
}

export function removeActivities(doc: Doc, ids: string[]): Doc {
  const gone = new Set(ids);
  return {
    ...doc,
    activities: doc.activities.filter((a) => !gone.has(a.id)),
    transitions: doc.transitions.filter((t) => !gone.has(t.from) && !gone.has(t.to)),
  };
}

export function edgeId(t: Transition): string {
  return `${t.from}:${t.port ?? 'out'}->${t.to}`;
}

export function removeTransitions(doc: Doc, edgeIds: string[]): Doc {
  const gone = new Set(edgeIds);
  return { ...doc, transitions: doc.transitions.filter((t) => !gone.has(edgeId(t))) };
}

/** Connects a port to an activity; refused (null) when it would be a duplicate, a loop, a cycle,
 * or enter a population source. */
export function connect(doc: Doc, from: string, port: string, to: string): Doc | null {
  if (from === to) return null;
  const target = doc.activities.find((a) => a.id === to);
  if (!target || !hasInput(target.type)) return null;
  const t: Transition = port === 'out' ? { from, to } : { from, port, to };
  if (doc.transitions.some((x) => edgeId(x) === edgeId(t))) return null;
  // A cycle: `from` reachable from `to`.
  const next = new Map<string, string[]>();
  for (const x of doc.transitions) next.set(x.from, [...(next.get(x.from) ?? []), x.to]);
  const seen = new Set<string>();
  const stack = [to];
  while (stack.length) {
    const n = stack.pop() as string;
    if (n === from) return null;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(next.get(n) ?? []));
  }
  return { ...doc, transitions: [...doc.transitions, t] };
}

/** Replaces an activity (its options); a new id renames it in the transitions too. */
export function updateActivity(doc: Doc, id: string, next: Activity): Doc {
  return {
    ...doc,
    activities: doc.activities.map((a) => (a.id === id ? next : a)),
    transitions:
      next.id === id
        ? doc.transitions
        : doc.transitions.map((t) => ({ ...t, from: t.from === id ? next.id : t.from, to: t.to === id ? next.id : t.to })),
  };
}

export const NODE_W = 200;
export const NODE_H = 64;

/** Positions for every activity, left to right (dagre). */
export function layout(doc: Doc): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const a of doc.activities) g.setNode(a.id, { width: NODE_W, height: NODE_H + 12 * Math.max(0, portsOf(a).length - 2) });
  const ids = new Set(doc.activities.map((a) => a.id));
  for (const t of doc.transitions) if (ids.has(t.from) && ids.has(t.to)) g.setEdge(t.from, t.to);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const a of doc.activities) {
    const n = g.node(a.id);
    out[a.id] = { x: (n?.x ?? 0) - NODE_W / 2, y: (n?.y ?? 0) - NODE_H / 2 };
  }
  return out;
}

/** Where a new activity goes: right of the rightmost one. */
export function placeNew(pos: Record<string, { x: number; y: number }>): { x: number; y: number } {
  const all = Object.values(pos);
  if (!all.length) return { x: 16, y: 16 };
  const maxX = Math.max(...all.map((p) => p.x));
  return { x: maxX + NODE_W + 90, y: Math.min(...all.map((p) => p.y)) };
}

export interface Issue {
  path?: string | null;
  message: string;
}
export interface Located {
  /** Errors of the document's own properties, by property (`name`, `schedule`, …) or ''. */
  global: Issue[];
  /** Errors of each activity, by activity id, with the path inside the activity (`.filter.all[0].field`). */
  byActivity: Map<string, { sub: string; message: string }[]>;
}

/** Maps the API's validation errors (JSON paths into the document sent) to activities. */
export function locate(doc: Doc, details: Issue[]): Located {
  const out: Located = { global: [], byActivity: new Map() };
  for (const d of details) {
    const m = d.path ? /^\$\.activities\[(\d+)\](.*)$/.exec(d.path) : null;
    const a = m ? doc.activities[Number(m[1])] : undefined;
    if (m && a) {
      const list = out.byActivity.get(a.id) ?? [];
      list.push({ sub: m[2] ?? '', message: d.message });
      out.byActivity.set(a.id, list);
      continue;
    }
    const t = d.path ? /^\$\.transitions\[(\d+)\]/.exec(d.path) : null;
    const tr = t ? doc.transitions[Number(t[1])] : undefined;
    if (tr && doc.activities.some((x) => x.id === tr.from)) {
      const list = out.byActivity.get(tr.from) ?? [];
      list.push({ sub: '', message: `${edgeId(tr)}: ${d.message}` });
      out.byActivity.set(tr.from, list);
      continue;
    }
    out.global.push(d);
  }
  return out;
}

/** The messages for a field of an activity: errors whose path starts with `sub` (exactly, or
 * followed by `.` or `[`). */
export function errorsAt(list: { sub: string; message: string }[] | undefined, sub: string, exact = false): string[] {
  if (!list) return [];
  return list
    .filter((e) => e.sub === sub || (!exact && (e.sub.startsWith(sub + '.') || e.sub.startsWith(sub + '['))))
    .map((e) => e.message);
}

/** The document parsed from the JSON view, or the reason it is not one. */
export function parseDoc(text: string): { doc: Doc } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'the document must be a JSON object' };
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.activities)) return { error: '"activities" must be an array' };
  if (!Array.isArray(o.transitions)) return { error: '"transitions" must be an array' };
  for (const [i, a] of (o.activities as unknown[]).entries()) {
    if (!a || typeof a !== 'object' || typeof (a as Activity).id !== 'string' || typeof (a as Activity).type !== 'string') {
      return { error: `activities[${i}] needs a string "id" and "type"` };
    }
  }
  for (const [i, t] of (o.transitions as unknown[]).entries()) {
    if (!t || typeof t !== 'object' || typeof (t as Transition).from !== 'string' || typeof (t as Transition).to !== 'string') {
      return { error: `transitions[${i}] needs a string "from" and "to"` };
    }
  }
  return { doc: { name: '', ...o } as Doc };
}

/** The document to send: empty optional properties dropped. */
export function cleanDoc(doc: Doc): Doc {
  const out: Doc = { ...doc };
  for (const k of ['description', 'campaign', 'targeting_dimension', 'timezone'] as const) if (!out[k]) delete out[k];
  if (out.tags) out.tags = out.tags.map((t) => t.trim()).filter(Boolean);
  if (out.tags && !out.tags.length) delete out.tags;
  if (out.schedule === null) delete out.schedule;
  return out;
}

/** An undo/redo history of documents. */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}
export const historyOf = <T>(present: T): History<T> => ({ past: [], present, future: [] });
export function push<T>(h: History<T>, next: T, limit = 200): History<T> {
  if (next === h.present) return h;
  return { past: [...h.past, h.present].slice(-limit), present: next, future: [] };
}
export function undo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  return prev === undefined ? h : { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}
export function redo<T>(h: History<T>): History<T> {
  const next = h.future[0];
  return next === undefined ? h : { past: [...h.past, h.present], present: next, future: h.future.slice(1) };
}

/** A variable's value as typed: a number, a boolean, or the text itself. */
export function parseVariable(text: string): Json {
  const t = text.trim();
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return text;
}

/** The variables with one renamed, keeping their order; null when the new name is taken. */
export function renameVariable(vars: Record<string, Json>, from: string, to: string): Record<string, Json> | null {
  if (from === to) return vars;
  if (to in vars) return null;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k === from ? to : k, v]));
}
