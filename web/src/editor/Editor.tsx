// The campaign editor (SPEC §6 "Editing", issue 9 item 7): the activity graph on a React Flow
// canvas (a palette adds activities, ports are dragged to connect, Delete removes the selection,
// auto layout by dagre), the selected activity's form, the global properties, undo/redo, a JSON
// view kept in sync, Save (POST or PUT), and the API's validation errors shown on the nodes and
// fields they concern. Loaded lazily, like the campaign page. The document logic is in doc.ts
// and filter.ts (unit-tested).
import '@xyflow/react/dist/style.css';
import './editor.css';
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, EMPTY, unwrap, type CampaignDocument, type CampaignStatus, type Task } from '../api/client';
import { navigate } from '../app/router';
import { useI18n } from '../i18n/I18n';
import { ActivityForm } from './ActivityForm';
import {
  addActivity,
  cleanDoc,
  connect,
  edgeId,
  hasInput,
  historyOf,
  layout,
  locate,
  NODE_W,
  parseDoc,
  parseVariable,
  placeNew,
  renameVariable,
  portsOf,
  push,
  redo,
  removeActivities,
  removeTransitions,
  TYPES,
  undo,
  updateActivity,
  type Activity,
  type Doc,
  type History,
  type Issue,
  type Json,
} from './doc';
import type { LinkInfo } from './FilterBuilder';
import type { Field } from './filter';
import { text, type TextKey } from './text';
import type { MessageKey } from '../i18n/messages';

const STATES = ['pending', 'running', 'completed', 'failed', 'skipped', 'stopped', 'paused'];

type Dimensions = { default: string | null; dimensions: { name: string; fields: Field[]; links: { name: string; target: string }[] }[] };
type Pos = Record<string, { x: number; y: number }>;

interface NodeData extends Record<string, unknown> {
  a: Activity;
  errors: string[];
  errorLabel: string;
}

function ActivityNode({ data, selected }: NodeProps<Node<NodeData>>) {
  const ports = portsOf(data.a);
  return (
    <div className={`enode${data.errors.length ? ' enode-error' : ''}${selected ? ' enode-selected' : ''}`} title={data.errors.join('\n')}>
      {hasInput(data.a.type) && <Handle type="target" position={Position.Left} id="in" />}
      <span className="node-id">{data.a.id}</span>
      <span className="node-type">{data.a.type}</span>
      {data.errors.length > 0 && (
        <span className="enode-errors" role="note">
          ⚠ {data.errorLabel}
          {data.errors.slice(0, 3).map((e, i) => (
            <span key={i} className="enode-error-line">
              {e}
            </span>
          ))}
          {data.errors.length > 3 && <span className="enode-error-line">…</span>}
        </span>
      )}
      <div className="enode-ports">
        {ports.map((p, i) => (
          <div key={p} className="enode-port">
            <span>{p}</span>
            <Handle type="source" position={Position.Right} id={p} className={`port-${i}`} data-port={p} />
          </div>
        ))}
      </div>
    </div>
  );
}
const nodeTypes = { activity: ActivityNode };

export default function EditorPage({ id }: { id: number | null }) {
  return (
    <ReactFlowProvider>
      <Editor id={id} />
    </ReactFlowProvider>
  );
}

const EMPTY_DOC: Doc = { name: '', activities: [], transitions: [] };
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

function Editor({ id }: { id: number | null }) {
  const { lang, num, t } = useI18n();
  const T = useCallback((k: TextKey, p?: Record<string, string | number>) => text(lang, k, p), [lang]);
  const flow = useReactFlow();
  const [hist, setHist] = useState<History<Doc>>(() => historyOf(EMPTY_DOC));
  const doc = hist.present;
  // The newest document, committed or rendered: edits that come faster than React renders (a
  // few quick clicks on the palette) build on it rather than on this render's `doc`, which
  // would lose all but the last of them.
  const latest = useRef(doc);
  latest.current = doc;
  const [pos, setPos] = useState<Pos>({});
  const [loaded, setLoaded] = useState(id === null);
  const [status, setStatus] = useState<CampaignStatus | null>(null);
  const [savedDoc, setSavedDoc] = useState<Doc | null>(null);
  const [dims, setDims] = useState<Dimensions | null>(null);
  const [selNodes, setSelNodes] = useState<Set<string>>(new Set());
  const [selEdges, setSelEdges] = useState<Set<string>>(new Set());
  const [issues, setIssues] = useState<{ sent: Doc; details: Issue[] } | null>(null);
  const [note, setNote] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [showJson, setShowJson] = useState(false);
  const [sim, setSim] = useState<{ id: number; status: string; tasks: Task[] } | null>(null);
  const merge = useRef<{ key: string; at: number } | null>(null);
  // The campaign the document on screen belongs to (null: a new one). A campaign this editor
  // just created changes the URL but not the document; another campaign is read afresh.
  const shownFor = useRef<number | null | undefined>(undefined);

  /** Every edit goes through here: a new history entry, except keystrokes in the same field
   * within a second and a half, which amend the last one. */
  const commit = useCallback((next: Doc, key?: string) => {
    latest.current = next;
    const now = Date.now();
    const m = merge.current;
    setHist((h) => (key && m && m.key === key && now - m.at < 1500 ? { ...h, present: next } : push(h, next)));
    merge.current = key ? { key, at: now } : null;
  }, []);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const d = unwrap(await api.GET('/dimensions'));
        if (live) setDims(d as unknown as Dimensions);
      } catch {
        /* the forms fall back to free text */
      }
      if (!live || id === shownFor.current) return;
      const first = shownFor.current === undefined;
      shownFor.current = id;
      setSim(null);
      setIssues(null);
      if (!first) setNote(null);
      if (id === null) {
        setHist(historyOf(EMPTY_DOC));
        setSavedDoc(null);
        setStatus(null);
        setLoaded(true);
        return;
      }
      setLoaded(false);
      try {
        const c = unwrap(await api.GET('/campaigns/{id}', { params: { path: { id: String(id) } } }));
        if (!live) return;
        const raw = (c.document ?? {}) as unknown as Doc;
        const d: Doc = { ...raw, name: raw.name ?? c.name, activities: raw.activities ?? [], transitions: raw.transitions ?? [] };
        setHist(historyOf(d));
        setSavedDoc(d);
        setPos(layout(d));
        setStatus(c.status);
        setLoaded(true);
        window.setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return;
        setNote({ kind: 'error', text: e instanceof ApiError ? e.message : String(e) });
      }
    })();
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  // Undo/redo from the keyboard, except inside text fields (they keep their own).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable)) return;
      const mod = isMac ? e.metaKey : e.ctrlKey;
      if (!mod) return;
      const k = e.key.toLowerCase();
      if (k === 'z' && !e.shiftKey) {
        e.preventDefault();
        setHist(undo);
      } else if ((k === 'z' && e.shiftKey) || k === 'y') {
        e.preventDefault();
        setHist(redo);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Positions follow the document: a new activity gets a place, a gone one loses it.
  useEffect(() => {
    setPos((p) => {
      const ids = new Set(doc.activities.map((a) => a.id));
      let changed = false;
      const next: Pos = {};
      for (const [k, v] of Object.entries(p)) {
        if (ids.has(k)) next[k] = v;
        else changed = true;
      }
      for (const a of doc.activities) {
        if (!next[a.id]) {
          next[a.id] = placeNew(next);
          changed = true;
        }
      }
      return changed ? next : p;
    });
  }, [doc.activities]);

  const dimName = doc.targeting_dimension || dims?.default || '';
  const dim = dims?.dimensions.find((d) => d.name === dimName);
  const enriched = useMemo(
    () =>
      doc.activities.flatMap((a) =>
        a.type === 'enrich' && Array.isArray(a.columns) ? (a.columns as { name?: string; aggregate?: string }[]).filter((c) => c.name).map((c) => ({ name: c.name as string, type: c.aggregate ? 'real' : '' })) : [],
      ),
    [doc.activities],
  );
  const fields: Field[] = useMemo(() => [...(dim?.fields ?? []), ...enriched], [dim, enriched]);
  const links: LinkInfo[] = useMemo(
    () => (dim?.links ?? []).map((l) => ({ name: l.name, fields: dims?.dimensions.find((d) => d.name === l.target)?.fields ?? [] })),
    [dim, dims],
  );
  const known = useMemo(() => new Set([...fields.map((f) => f.name), ...Object.keys((doc.variables as Record<string, unknown>) ?? {})]), [fields, doc.variables]);

  const located = useMemo(() => (issues ? locate(issues.sent, issues.details) : null), [issues]);
  // Errors follow an activity through renames only until the next save; they are keyed by the id sent.
  const errsOf = (aid: string) => located?.byActivity.get(aid);

  const nodes: Node<NodeData>[] = doc.activities.map((a) => {
    const errs = errsOf(a.id) ?? [];
    return {
      id: a.id,
      type: 'activity',
      position: pos[a.id] ?? { x: 0, y: 0 },
      data: { a, errors: errs.map((e) => (e.sub ? `${e.sub.replace(/^\./, '')}: ${e.message}` : e.message)), errorLabel: T('errors', { count: errs.length }) },
      selected: selNodes.has(a.id),
      width: NODE_W,
      ariaLabel: `${a.id} (${a.type})${errs.length ? `: ${T('errors', { count: errs.length })}` : ''}`,
    };
  });
  const counts = useMemo(() => {
    const m = new Map<string, Record<string, number | null>>();
    for (const t of sim?.tasks ?? []) m.set(t.activity, t.counts ?? {});
    return m;
  }, [sim]);
  const edges: Edge[] = doc.transitions.map((t) => {
    const port = t.port ?? 'out';
    const c = sim ? counts.get(t.from)?.[port] : undefined;
    const countText = typeof c === 'number' ? num(c) : sim ? '–' : '';
    const label = [port !== 'out' ? port : '', countText].filter(Boolean).join(': ');
    return {
      id: edgeId(t),
      source: t.from,
      sourceHandle: port,
      target: t.to,
      targetHandle: 'in',
      label: label || undefined,
      selected: selEdges.has(edgeId(t)),
      className: 'edge',
      markerEnd: { type: MarkerType.ArrowClosed },
      ariaLabel: `${t.from} → ${t.to} (${port})${countText ? `: ${countText}` : ''}`,
    };
  });

  const onNodesChange = (changes: NodeChange<Node<NodeData>>[]) => {
    const removed: string[] = [];
    let p: Pos | null = null;
    let sel: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === 'position' && c.position) (p ??= { ...pos })[c.id] = c.position;
      else if (c.type === 'remove') removed.push(c.id);
      else if (c.type === 'select') {
        sel ??= new Set(selNodes);
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
    }
    if (p) setPos(p);
    if (sel) setSelNodes(sel);
    if (removed.length) commit(removeActivities(doc, removed));
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    const removed: string[] = [];
    let sel: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === 'remove') removed.push(c.id);
      else if (c.type === 'select') {
        sel ??= new Set(selEdges);
        if (c.selected) sel.add(c.id);
        else sel.delete(c.id);
      }
    }
    if (sel) setSelEdges(sel);
    if (removed.length) commit(removeTransitions(doc, removed));
  };
  const onConnect = (c: Connection) => {
    const next = connect(latest.current, c.source, c.sourceHandle ?? 'out', c.target);
    if (next) commit(next);
  };

  const selected = selNodes.size === 1 ? doc.activities.find((a) => selNodes.has(a.id)) : undefined;

  function add(type: string) {
    const { doc: next, id: nid } = addActivity(latest.current, type);
    commit(next);
    setSelNodes(new Set([nid]));
    setSelEdges(new Set());
    window.setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1, duration: 0 }), 30);
  }

  function autoLayout() {
    setPos(layout(doc));
    window.setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
  }

  async function save() {
    const body = cleanDoc(doc);
    setSaving(true);
    setNote(null);
    try {
      const r =
        id === null
          ? await api.POST('/campaigns', { body: body as unknown as CampaignDocument })
          : await api.PUT('/campaigns/{id}', { params: { path: { id: String(id) } }, body: body as unknown as CampaignDocument });
      const c = unwrap(r);
      setIssues(null);
      setSavedDoc(doc);
      setStatus(c.status);
      setNote({ kind: 'ok', text: T('saved') });
      if (id === null) {
        shownFor.current = c.id;
        navigate(`/campaigns/${c.id}/edit`, { replace: true });
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      if (e instanceof ApiError && e.status === 422 && e.details.length) {
        setIssues({ sent: body, details: e.details });
        setNote({ kind: 'error', text: T('invalid', { count: e.details.length }) });
      } else if (e instanceof ApiError && e.status === 409) {
        setNote({ kind: 'error', text: `${T('refusedRunning')} (${e.message})` });
      } else setNote({ kind: 'error', text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setSaving(false);
    }
  }

  const dirty = savedDoc === null || savedDoc !== doc;
  async function simulate() {
    if (id === null) return;
    try {
      const r = unwrap(await api.POST('/campaigns/{id}/simulate', { params: { path: { id: String(id) } }, body: EMPTY }));
      setSim({ id: r.run.id, status: r.run.status, tasks: r.tasks });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      setNote({ kind: 'error', text: e instanceof ApiError ? e.message : String(e) });
    }
  }
  useEffect(() => setSim(null), [doc]);
  // Leaving the page (reload, close) with unsaved changes asks first.
  const unsaved = savedDoc === null ? hist.past.length > 0 : savedDoc !== doc;
  useEffect(() => {
    if (!unsaved) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [unsaved]);

  if (!loaded) {
    return (
      <main className="page">
        {note ? (
          <p className="notice notice-error" role="alert">
            {note.text}
          </p>
        ) : (
          '…'
        )}
      </main>
    );
  }

  const globalErr = (k: string) => (located?.global ?? []).filter((g) => g.path === `$.${k}` || g.path?.startsWith(`$.${k}.`) || g.path?.startsWith(`$.${k}[`)).map((g) => g.message);
  const shownGlobal = new Set(['name', 'description', 'campaign', 'tags', 'targeting_dimension', 'timezone', 'schedule']);
  const otherGlobal = (located?.global ?? []).filter((g) => !g.path || !shownGlobal.has(g.path.replace(/^\$\.([A-Za-z_]+).*$/, '$1')));
  const setProp = (k: string, v: unknown) => {
    const next: Doc = { ...doc };
    if (v === undefined || v === '' || v === null) delete next[k];
    else next[k] = v;
    commit(next, `doc.${k}`);
  };

  return (
    <main className="page editor-page">
      <p className="crumbs">
        <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          {t('list.title')}
        </a>
        {id !== null && (
          <>
            {' › '}
            <a href={`/campaigns/${id}`} onClick={(e) => (e.preventDefault(), navigate(`/campaigns/${id}`))}>
              {T('openPage')}
            </a>
          </>
        )}
      </p>
      <div className="page-head">
        <h1>{id === null ? T('newTitle') : T('editTitle', { name: savedDoc?.name ?? '' })}</h1>
        {unsaved && <span className="badge badge-draft">{T('unsaved')}</span>}
        <span className="spacer" />
        <div className="toolbar-buttons" role="toolbar" aria-label={T('canvas')}>
          <button type="button" className="btn btn-secondary btn-small" disabled={!hist.past.length} onClick={() => setHist(undo)} aria-keyshortcuts={isMac ? 'Meta+Z' : 'Control+Z'}>
            {T('undo')}
          </button>
          <button type="button" className="btn btn-secondary btn-small" disabled={!hist.future.length} onClick={() => setHist(redo)} aria-keyshortcuts={isMac ? 'Meta+Shift+Z' : 'Control+Shift+Z'}>
            {T('redo')}
          </button>
          <button type="button" className="btn btn-secondary btn-small" onClick={autoLayout}>
            {T('layout')}
          </button>
          <button type="button" className="btn btn-secondary btn-small" aria-pressed={showJson} onClick={() => setShowJson((s) => !s)}>
            {T('jsonView')}
          </button>
          <button type="button" className="btn btn-secondary btn-small" disabled={id === null || dirty} title={dirty ? T('saveFirst') : undefined} onClick={() => void simulate()}>
            {T('simulate')}
          </button>
          <button type="button" className="btn btn-cta" disabled={saving || status === 'running'} onClick={() => void save()}>
            {saving ? T('saving') : T('save')}
          </button>
        </div>
      </div>
      {status === 'running' && (
        <p className="notice notice-info" role="note">
          {T('running')}
        </p>
      )}
      <div role="status" aria-live="polite" className="editor-status">
        {note && <p className={`notice ${note.kind === 'ok' ? 'notice-info' : 'notice-error'}`}>{note.text}</p>}
        {sim && <p className="notice notice-info">{T('simulated', { id: sim.id, status: STATES.includes(sim.status) ? t(`state.${sim.status}` as MessageKey) : sim.status })}</p>}
      </div>
      {otherGlobal.length > 0 && (
        <section className="panel" aria-label={T('globalErrors')}>
          <ul className="field-error">
            {otherGlobal.map((g, i) => (
              <li key={i}>
                {g.path ? `${g.path}: ` : ''}
                {g.message}
              </li>
            ))}
          </ul>
        </section>
      )}

      <div className="editor-grid">
        <nav className="panel palette" aria-label={T('palette')}>
          <h2>{T('palette')}</h2>
          <ul>
            {TYPES.map((ty) => (
              <li key={ty}>
                <button type="button" className="btn btn-quiet btn-small palette-item" aria-label={T('add', { type: ty })} onClick={() => add(ty)}>
                  + {ty}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <section className="panel editor-canvas-panel" aria-label={T('canvas')}>
          <div className="canvas editor-canvas">
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              deleteKeyCode={['Delete', 'Backspace']}
              fitView
              fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
              proOptions={{ hideAttribution: true }}
              minZoom={0.2}
            >
              <Background gap={16} size={1} />
              <Controls showInteractive={false} />
            </ReactFlow>
          </div>
          {showJson && <JsonView doc={doc} T={T} onChange={(d) => commit(d, 'json')} />}
        </section>
        <aside className="panel editor-side" aria-labelledby="activity-title">
          <h2 id="activity-title">{selected ? `${T('activity')}: ${selected.id}` : T('activity')}</h2>
          {selected ? (
            <ActivityForm
              key={selected.id}
              a={selected}
              doc={doc}
              errors={errsOf(selected.id)}
              fields={fields}
              links={links}
              known={known}
              dimName={dimName}
              T={T}
              onChange={(next, key) => {
                commit(updateActivity(doc, selected.id, next), key);
                if (next.id !== selected.id) setSelNodes(new Set([next.id]));
              }}
              onRemove={() => {
                commit(removeActivities(doc, [selected.id]));
                setSelNodes(new Set());
              }}
              onConnect={(port, to) => {
                const next = connect(doc, selected.id, port, to);
                if (next) commit(next);
              }}
              onDisconnect={(eid) => commit(removeTransitions(doc, [eid]))}
            />
          ) : (
            <p className="muted">{T('noSelection')}</p>
          )}
        </aside>
      </div>

      <section className="panel" aria-labelledby="gprops-title">
        <h2 id="gprops-title">{T('properties')}</h2>
        <div className="gprops">
          <Prop label={T('name')} errors={globalErr('name')}>
            {(fid, d) => <input id={fid} type="text" required value={doc.name ?? ''} aria-describedby={d} onChange={(e) => setProp('name', e.target.value)} />}
          </Prop>
          <Prop label={T('description')} errors={globalErr('description')}>
            {(fid, d) => <input id={fid} type="text" value={doc.description ?? ''} aria-describedby={d} onChange={(e) => setProp('description', e.target.value)} />}
          </Prop>
          <Prop label={T('parent')} errors={globalErr('campaign')}>
            {(fid, d) => <input id={fid} type="text" value={doc.campaign ?? ''} aria-describedby={d} onChange={(e) => setProp('campaign', e.target.value)} />}
          </Prop>
          <Prop label={T('tags')} errors={globalErr('tags')}>
            {(fid, d) => (
              <input
                id={fid}
                type="text"
                aria-describedby={d}
                value={(doc.tags ?? []).join(', ')}
                onChange={(e) => setProp('tags', e.target.value.split(',').map((s) => s.trim()).filter((s, i, all) => s !== '' || i === all.length - 1))}
              />
            )}
          </Prop>
          <Prop label={T('dimension')} errors={globalErr('targeting_dimension')}>
            {(fid, d) => (
              <select id={fid} aria-describedby={d} value={doc.targeting_dimension ?? ''} onChange={(e) => setProp('targeting_dimension', e.target.value)}>
                <option value="">{T('dimensionDefault', { name: dims?.default ?? '–' })}</option>
                {doc.targeting_dimension && !dims?.dimensions.some((x) => x.name === doc.targeting_dimension) && <option value={doc.targeting_dimension}>{doc.targeting_dimension}</option>}
                {(dims?.dimensions ?? []).map((x) => (
                  <option key={x.name} value={x.name}>
                    {x.name}
                  </option>
                ))}
              </select>
            )}
          </Prop>
          <Prop label={T('timezone')} errors={globalErr('timezone')}>
            {(fid, d) => (
              <>
                <input id={fid} type="text" list={`${fid}-tz`} aria-describedby={d} value={doc.timezone ?? ''} placeholder="UTC" onChange={(e) => setProp('timezone', e.target.value)} />
                <datalist id={`${fid}-tz`}>
                  {zones().map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
              </>
            )}
          </Prop>
          <Schedule doc={doc} T={T} errors={globalErr('schedule')} onChange={(s) => setProp('schedule', s)} />
        </div>
        <Variables doc={doc} T={T} errors={globalErr('variables')} onChange={(v, key) => commit(v === undefined ? (({ variables: _drop, ...rest }) => rest as Doc)(doc) : { ...doc, variables: v }, key)} />
      </section>
    </main>
  );
}

function Variables({
  doc,
  T,
  errors,
  onChange,
}: {
  doc: Doc;
  T: (k: TextKey, p?: Record<string, string>) => string;
  errors: string[];
  onChange: (v: Record<string, Json> | undefined, key?: string) => void;
}) {
  const vars = (doc.variables && typeof doc.variables === 'object' ? doc.variables : {}) as Record<string, Json>;
  const entries = Object.entries(vars);
  const show = (v: Json) => (typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <fieldset className="ef-set variables">
      <legend>{T('variables')}</legend>
      {errors.length > 0 && <span className="field-error">{errors.join('; ')}</span>}
      {entries.map(([k, v], i) => (
        <div key={i} className="ef-row">
          <input
            type="text"
            aria-label={T('variable')}
            defaultValue={k}
            key={k}
            onBlur={(e) => {
              const next = renameVariable(vars, k, e.target.value.trim());
              if (next && e.target.value.trim()) onChange(next);
              else e.target.value = k;
            }}
          />
          <input type="text" aria-label={T('variableValue', { name: k })} value={show(v)} onChange={(e) => onChange({ ...vars, [k]: parseVariable(e.target.value) }, `var.${k}`)} />
          <button
            type="button"
            className="btn btn-quiet btn-small"
            onClick={() => {
              const { [k]: _gone, ...rest } = vars;
              onChange(Object.keys(rest).length ? rest : undefined);
            }}
          >
            {T('removeVariable', { name: k })}
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn btn-secondary btn-small"
        onClick={() => {
          let n = entries.length + 1;
          while (`var${n}` in vars) n++;
          onChange({ ...vars, [`var${n}`]: 0 });
        }}
      >
        {T('addVariable')}
      </button>
    </fieldset>
  );
}

let zoneList: string[] | null = null;
function zones(): string[] {
  if (!zoneList) {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    zoneList = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : ['UTC'];
  }
  return zoneList;
}

function Prop({ label, errors, children }: { label: string; errors: string[]; children: (id: string, describedBy?: string) => React.ReactNode }) {
  const fid = `p-${label.replace(/\W+/g, '-')}`;
  return (
    <div className={`ef${errors.length ? ' has-error' : ''}`}>
      <label htmlFor={fid}>{label}</label>
      {children(fid, errors.length ? `${fid}-e` : undefined)}
      {errors.length > 0 && (
        <span id={`${fid}-e`} className="field-error">
          {errors.join('; ')}
        </span>
      )}
    </div>
  );
}

function Schedule({ doc, T, errors, onChange }: { doc: Doc; T: (k: TextKey) => string; errors: string[]; onChange: (s: Record<string, unknown> | undefined) => void }) {
  const s = (doc.schedule ?? null) as Record<string, unknown> | null;
  const kind = !s ? 'manual' : 'rrule' in s ? 'rrule' : 'cron' in s ? 'cron' : 'at' in s ? 'at' : 'signal';
  const field = (k: string, label: TextKey, type = 'text') => (
    <Prop label={T(label)} errors={[]}>
      {(fid) => (
        <input
          id={fid}
          type={type}
          step={type === 'datetime-local' ? 1 : undefined}
          value={typeof s?.[k] === 'string' ? (s[k] as string) : ''}
          onChange={(e) => {
            const n = { ...(s ?? {}) };
            if (e.target.value) n[k] = type === 'datetime-local' && e.target.value.length === 16 ? e.target.value + ':00' : e.target.value;
            else delete n[k];
            onChange(n);
          }}
        />
      )}
    </Prop>
  );
  return (
    <>
      <Prop label={T('schedule')} errors={errors}>
        {(fid, d) => (
          <select
            id={fid}
            aria-describedby={d}
            value={kind}
            onChange={(e) => {
              const k = e.target.value;
              onChange(k === 'manual' ? undefined : k === 'signal' ? { signal: true } : k === 'rrule' ? { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0' } : k === 'cron' ? { cron: '0 9 * * 1' } : { at: '' });
            }}
          >
            {(['manual', 'signal', 'at', 'rrule', 'cron'] as const).map((k) => (
              <option key={k} value={k}>
                {T(`schedule.${k}`)}
              </option>
            ))}
          </select>
        )}
      </Prop>
      {kind === 'at' && field('at', 'at', 'datetime-local')}
      {kind === 'rrule' && (
        <>
          {field('rrule', 'rrule')}
          {field('start', 'start', 'datetime-local')}
          {field('until', 'until', 'datetime-local')}
        </>
      )}
      {kind === 'cron' && field('cron', 'cron')}
    </>
  );
}

function JsonView({ doc, T, onChange }: { doc: Doc; T: (k: TextKey, p?: Record<string, string>) => string; onChange: (d: Doc) => void }) {
  const shown = useMemo(() => JSON.stringify(doc, null, 2), [doc]);
  const [textValue, setText] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  const focused = useRef(false);
  // The canvas changed the document: the text follows, unless the user is typing in it.
  useEffect(() => {
    if (!focused.current) {
      setText(shown);
      setError(null);
    }
  }, [shown]);
  return (
    <div className="json-view">
      <label htmlFor="doc-json">{T('json')}</label>
      <textarea
        id="doc-json"
        spellCheck={false}
        value={textValue}
        rows={18}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'doc-json-e' : undefined}
        onFocus={() => (focused.current = true)}
        onBlur={() => {
          focused.current = false;
          if (!error) setText(shown);
        }}
        onChange={(e) => {
          setText(e.target.value);
          const r = parseDoc(e.target.value);
          if ('error' in r) setError(r.error);
          else {
            setError(null);
            onChange(r.doc);
          }
        }}
      />
      {error && (
        <span id="doc-json-e" className="field-error" role="alert">
          {T('jsonInvalid', { error })}
        </span>
      )}
    </div>
  );
}
