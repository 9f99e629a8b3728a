// A campaign's page (read-only for now): the activity graph with the count on every transition
// from the latest run, the run history, that run's tasks and the global properties. Loaded
// lazily: React Flow and dagre stay out of the list page's JavaScript.
import '@xyflow/react/dist/style.css';
import { Background, BaseEdge, Controls, EdgeLabelRenderer, getBezierPath, MarkerType, ReactFlow, type Edge, type EdgeProps, type Node } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { Button, Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { api, ApiError, EMPTY, unwrap, type CampaignFull, type Run, type Task } from '../api/client';
import { subscribe } from '../app/events';
import { navigate, useLocation } from '../app/router';
import { useI18n } from '../i18n/I18n';
import type { MessageKey } from '../i18n/messages';
import { useNotices } from '../ui/Notices';
import { StatusBadge } from '../ui/StatusBadge';
import { RowMenu, useCampaignActions } from '../campaigns/CampaignActions';
import { Deliveries } from './Deliveries';
import { Engagement } from './Engagement';
import { Logs } from './Logs';
import { SampleDialog } from './SampleDialog';
import { docToGraph, NODE_H, NODE_W, type DocActivity, type DocTransition } from './graph';

const STATES = ['pending', 'running', 'completed', 'failed', 'skipped', 'stopped', 'paused'];

type CountData = { from: string; port: string; text: string; label: string; onOpen: (from: string, port: string) => void };

// An edge whose count is a button: the sample of its rows opens by click or from the keyboard.
function CountEdge(p: EdgeProps<Edge<CountData>>) {
  const [path, x, y] = getBezierPath(p);
  const d = p.data;
  return (
    <>
      <BaseEdge id={p.id} path={path} markerEnd={p.markerEnd} />
      {d && (
        <EdgeLabelRenderer>
          <button
            type="button"
            className="edge-count nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }}
            aria-label={d.label}
            onClick={() => d.onOpen(d.from, d.port)}
          >
            {d.text}
          </button>
        </EdgeLabelRenderer>
      )}
    </>
  );
}
const EDGE_TYPES = { count: CountEdge };

/** The campaign page's URL with the chosen run and activity filter (either may be absent). */
export function pageUrl(id: number, run: number | null, activity: string): string {
  const q = new URLSearchParams();
  if (run) q.set('run', String(run));
  if (activity) q.set('activity', activity);
  const qs = q.toString();
  return `/campaigns/${id}${qs ? `?${qs}` : ''}`;
}

export default function CampaignPage({ id }: { id: number }) {
  const { t, date, num, lang } = useI18n();
  const notices = useNotices();
  const { search } = useLocation();
  const activity = new URLSearchParams(search).get('activity') ?? '';
  // The run shown (?run=ID, bookmarkable); the latest real run when absent or unknown.
  const runParam = Number(new URLSearchParams(search).get('run')) || null;
  const [shownId, setShownId] = useState<number | null>(null);
  const [campaign, setCampaign] = useState<CampaignFull | null>(null);
  const [runs, setRuns] = useState<Run[]>([]);
  const [preview, setPreview] = useState<{ utc: string; local: string }[]>([]);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  // A simulation's counts replace the latest run's on the graph until the user goes back.
  const [simulation, setSimulation] = useState<{ id: number; status: string; tasks: Task[] } | null>(null);
  const [simulating, setSimulating] = useState(false);
  const [sample, setSample] = useState<{ from: string; port: string } | null>(null);
  useEffect(() => setSimulation(null), [id]);
  // The same actions as the list's rows: after a deletion, back to the list; after a
  // duplication, to the copy; otherwise the page is read again.
  const { onAction, dialog } = useCampaignActions((action, _c, ok, copyId) => {
    if (ok && action === 'delete') navigate('/');
    else if (ok && copyId) navigate(`/campaigns/${copyId}`);
    else setReload((n) => n + 1);
  });

  // Live: this campaign's status, runs, tasks and delivery counts are read again when the feed says they moved.
  useEffect(() => {
    let timer = 0;
    const off = subscribe((e) => {
      if (e.campaign_id !== id || !['campaign', 'run', 'task', 'delivery'].includes(e.type)) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setReload((n) => n + 1), 300);
    });
    return () => {
      off();
      window.clearTimeout(timer);
    };
  }, [id]);

  useEffect(() => {
    let live = true;
    const path = { params: { path: { id: String(id) } } };
    (async () => {
      try {
        const c = unwrap(await api.GET('/campaigns/{id}', path));
        const rs = unwrap(await api.GET('/campaigns/{id}/runs', { params: { path: { id: String(id) }, query: { limit: 20 } } })).items;
        const latest = rs.filter((r) => !r.simulation).sort((a, b) => b.id - a.id)[0];
        const chosen = (runParam && rs.find((r) => r.id === runParam)) || latest;
        const ts = chosen ? unwrap(await api.GET('/runs/{id}/tasks', { params: { path: { id: String(chosen.id) } } })).items : [];
        const doc = c.document as { schedule?: unknown } | null;
        const pv = doc?.schedule ? unwrap(await api.GET('/campaigns/{id}/schedule/preview', path)).next : [];
        if (!live) return;
        setPreview(pv);
        setCampaign(c);
        setRuns([...rs].sort((a, b) => b.id - a.id));
        setTasks(ts);
        setShownId(chosen?.id ?? null);
      } catch (e) {
        if (!live || (e instanceof ApiError && e.status === 401)) return;
        setError(e instanceof ApiError ? (e.status === 404 ? t('campaign.notFound', { id }) : e.message) : t('error.network'));
      }
    })();
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, reload, runParam]);

  async function saveAsTemplate() {
    try {
      const tpl = unwrap(await api.POST('/campaigns/{id}/save-as-template', { params: { path: { id: String(id) } }, body: EMPTY }));
      notices.ok(t('campaign.savedTemplate', { name: tpl.name }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      notices.error(t('error.title', { message: e instanceof ApiError ? e.message : t('error.network') }));
    }
  }

  async function simulate() {
    setSimulating(true);
    try {
      const r = unwrap(await api.POST('/campaigns/{id}/simulate', { params: { path: { id: String(id) } }, body: EMPTY }));
      setSimulation({ id: r.run.id, status: r.run.status, tasks: r.tasks });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        notices.error(t('error.title', { message: e instanceof ApiError ? e.message : t('error.network') }));
      }
    } finally {
      setSimulating(false);
    }
  }

  const state = (s: string) => (STATES.includes(s) ? t(`state.${s}` as MessageKey) : s);
  const latest = runs.find((r) => !r.simulation);
  const shown = runs.find((r) => r.id === shownId) ?? latest;
  const showRun = (run: number | null) => {
    setSimulation(null);
    navigate(pageUrl(id, run, activity));
  };

  const graph = useMemo(() => {
    const doc = campaign?.document as { activities?: DocActivity[]; transitions?: DocTransition[] } | null | undefined;
    if (!doc?.activities) return null;
    const { nodes, edges } = docToGraph({ activities: doc.activities, transitions: doc.transitions ?? [] }, simulation ? simulation.tasks : tasks);
    const rfNodes: Node[] = nodes.map((n) => ({
      id: n.id,
      position: { x: n.x, y: n.y },
      data: {
        label: (
          <div className="node-body">
            <span className="node-id">{n.id}</span>
            <span className="node-type">
              {n.type}
              {n.status && <span className={`node-state state-${n.status}`}> · {state(n.status)}</span>}
            </span>
          </div>
        ),
      },
      className: `node node-${n.status ?? 'none'}`,
      width: NODE_W,
      height: NODE_H,
      sourcePosition: 'right' as Node['sourcePosition'],
      targetPosition: 'left' as Node['targetPosition'],
      draggable: false,
      connectable: false,
      ariaLabel: `${n.id} (${n.type})${n.status ? `: ${state(n.status)}` : ''}`,
    }));
    const rfEdges: Edge<CountData>[] = edges.map((e) => {
      const text = `${e.port !== 'out' ? `${e.port}: ` : ''}${e.count !== null ? num(e.count) : '–'}`;
      return {
      id: e.id,
      source: e.source,
      target: e.target,
      type: 'count',
      className: 'edge',
      focusable: false,
      data: {
        from: e.source,
        port: e.port,
        text,
        // The visible text first: the accessible name contains the label people see.
        label: t('campaign.sampleOf', { from: e.source, to: e.target, port: e.port, count: text }),
        onOpen: (from: string, port: string) => setSample({ from, port }),
      },
      markerEnd: { type: MarkerType.ArrowClosed },
      ariaLabel: `${e.source} → ${e.target} (${e.port}): ${e.count !== null ? num(e.count) : '–'}`,
      };
    });
    return { nodes: rfNodes, edges: rfEdges };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [campaign, tasks, simulation, lang]);

  if (error) {
    return (
      <main className="page">
        <p className="notice notice-error" role="alert">
          {error}
        </p>
        <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          {t('app.back')}
        </a>
      </main>
    );
  }
  if (!campaign) return <main className="page">{t('app.loading')}</main>;

  const doc = (campaign.document ?? {}) as { timezone?: string | null; schedule?: Record<string, unknown> | null };
  const tz = doc.timezone ?? 'UTC';
  const sched = doc.schedule;
  const schedule = !sched
    ? t('campaign.manual')
    : typeof sched.rrule === 'string'
      ? t('campaign.recurring', { rule: sched.rrule })
      : typeof sched.cron === 'string'
        ? t('campaign.recurring', { rule: sched.cron })
        : typeof sched.at === 'string'
          ? t('campaign.once', { at: sched.at })
          : t('campaign.signal');

  return (
    <main className="page campaign-page">
      <p className="crumbs">
        <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          {t('list.title')}
        </a>
      </p>
      <div className="page-head">
        <h1>{campaign.name}</h1>
        <StatusBadge status={campaign.status} />
        <span className="spacer" />
        <a className="btn btn-secondary" href={`/campaigns/${id}/edit`} onClick={(e) => (e.preventDefault(), navigate(`/campaigns/${id}/edit`))}>
          {t('campaign.edit')}
        </a>
        <Button className="btn btn-secondary" onPress={() => void saveAsTemplate()}>
          {t('campaign.saveTemplate')}
        </Button>
        <RowMenu c={campaign} onAction={onAction} />
      </div>
      {dialog}
      {sample && (simulation || shown) && (
        <SampleDialog runId={simulation ? simulation.id : (shown?.id ?? 0)} from={sample.from} port={sample.port} onClose={() => setSample(null)} />
      )}
      {campaign.description && <p className="lead">{campaign.description}</p>}

      <section aria-labelledby="graph-title" className="panel">
        <div className="panel-head">
          <h2 id="graph-title">{t('campaign.graph')}</h2>
          <span className="panel-note" role="status">
            {simulation
              ? t('campaign.simulationRun', { id: simulation.id, status: state(simulation.status) })
              : shown && shown !== latest
                ? t('campaign.shownRun', { id: shown.id, status: state(shown.status) })
                : latest
                  ? t('campaign.latestRun', { id: latest.id, status: state(latest.status) })
                  : t('campaign.noRun')}
          </span>
          <span className="spacer" />
          {(simulation || (shown && shown !== latest)) && (
            <Button className="btn btn-quiet" onPress={() => showRun(null)}>
              {t('campaign.showLatest')}
            </Button>
          )}
          <Button className="btn btn-secondary btn-small" isDisabled={simulating} onPress={() => void simulate()}>
            {t('campaign.simulate')}
          </Button>
        </div>
        <div className="canvas">
          {graph && (
            <ReactFlow
              nodes={graph.nodes}
              edges={graph.edges}
              edgeTypes={EDGE_TYPES}
              fitView
              fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
              nodesDraggable={false}
              nodesConnectable={false}
              elementsSelectable={false}
              proOptions={{ hideAttribution: true }}
              minZoom={0.2}
            >
              <Background gap={16} size={1} />
              <Controls showInteractive={false} />
            </ReactFlow>
          )}
        </div>
      </section>

      <Deliveries runId={shown?.id ?? null} tasks={tasks} readOnly={!!shown?.simulation} onChanged={() => setReload((n) => n + 1)} />
      {!shown?.simulation && <Engagement runId={shown?.id ?? null} tasks={tasks} />}

      <div className="columns">
        <section aria-labelledby="tasks-title" className="panel">
          <h2 id="tasks-title">{t('campaign.tasks')}</h2>
          <Table aria-labelledby="tasks-title" className="table">
            <TableHeader>
              <Column isRowHeader className="col">
                {t('campaign.activity')}
              </Column>
              <Column className="col">{t('col.status')}</Column>
              <Column className="col">{t('campaign.started')}</Column>
              <Column className="col">{t('campaign.input')}</Column>
              <Column className="col">{t('campaign.outputs')}</Column>
              <Column className="col">{t('campaign.error')}</Column>
            </TableHeader>
            <TableBody items={tasks} dependencies={[lang]} renderEmptyState={() => t('campaign.noTasks')}>
              {(task) => (
                <Row id={task.id} className={`row${task.activity === activity ? ' row-focus' : ''}`}>
                  <Cell className="cell">
                    <strong>{task.activity}</strong> <span className="cell-sub">{task.type}</span>
                  </Cell>
                  <Cell className="cell">
                    <span className={`state state-${task.status}`}>{state(task.status)}</span>
                  </Cell>
                  <Cell className="cell">{date(task.started_at)}</Cell>
                  <Cell className="cell num">{task.input_count === null ? '' : num(task.input_count)}</Cell>
                  <Cell className="cell">
                    {Object.entries(task.counts ?? {})
                      .map(([port, n]) => `${port}: ${n === null ? '–' : num(n)}`)
                      .join(', ')}
                  </Cell>
                  <Cell className="cell cell-error">{task.error ?? ''}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
        </section>

        <section aria-labelledby="props-title" className="panel panel-side">
          <h2 id="props-title">{t('campaign.properties')}</h2>
          <dl className="props">
            <dt>{t('campaign.schedule')}</dt>
            <dd>{schedule}</dd>
            <dt>{t('campaign.timezone')}</dt>
            <dd>{tz}</dd>
            <dt>{t('col.nextRun')}</dt>
            <dd>{campaign.next_run_at ? `${date(campaign.next_run_at)} (${date(campaign.next_run_at, tz)} ${tz})` : '–'}</dd>
            {preview.length > 0 && (
              <>
                <dt>{t('campaign.nextTimes')}</dt>
                <dd>
                  <ol className="next-times" aria-label={t('campaign.nextTimes')}>
                    {preview.map((p) => (
                      <li key={p.utc}>
                        {date(p.utc, tz)}
                        {date(p.utc, tz) !== date(p.utc) && <span className="cell-sub"> · {date(p.utc)}</span>}
                      </li>
                    ))}
                  </ol>
                </dd>
              </>
            )}
            <dt>{t('campaign.dimension')}</dt>
            <dd>{campaign.targeting_dimension ?? '–'}</dd>
            <dt>{t('campaign.parent')}</dt>
            <dd>{campaign.campaign ?? '–'}</dd>
            <dt>{t('campaign.tags')}</dt>
            <dd>{campaign.tags.length ? campaign.tags.join(', ') : '–'}</dd>
            <dt>{t('col.updated')}</dt>
            <dd>{date(campaign.updated_at)}</dd>
          </dl>
        </section>
      </div>

      <Logs
        campaignId={id}
        runId={shown?.id ?? null}
        runs={runs}
        onRun={(r) => showRun(r)}
        activity={activity}
        reload={reload}
        onClearActivity={() => navigate(pageUrl(id, runParam, ''), { replace: true })}
      />

      <section aria-labelledby="runs-title" className="panel">
        <h2 id="runs-title">{t('campaign.runs')}</h2>
        <Table aria-labelledby="runs-title" className="table">
          <TableHeader>
            <Column isRowHeader className="col">
              {t('campaign.run')}
            </Column>
            <Column className="col">{t('col.status')}</Column>
            <Column className="col">{t('campaign.trigger')}</Column>
            <Column className="col">{t('campaign.started')}</Column>
            <Column className="col">{t('campaign.ended')}</Column>
            <Column className="col">{t('campaign.error')}</Column>
          </TableHeader>
          <TableBody items={runs} dependencies={[lang, shown, simulation, activity]} renderEmptyState={() => t('campaign.noRuns')}>
            {(r) => (
              <Row id={r.id} className={`row${r.id === shown?.id && !simulation ? ' row-focus' : ''}`}>
                <Cell className="cell">
                  {r.id === shown?.id && !simulation ? (
                    <span aria-current="true">
                      #{r.id} <span className="tag">{t('campaign.shown')}</span>
                    </span>
                  ) : (
                    <a
                      href={pageUrl(id, r.id, activity)}
                      className="run-link"
                      aria-label={t('campaign.showRun', { id: r.id })}
                      onClick={(e) => (e.preventDefault(), showRun(r.id))}
                    >
                      #{r.id}
                    </a>
                  )}
                  {r.simulation ? ` (${t('campaign.simulation')})` : ''}
                </Cell>
                <Cell className="cell">
                  <span className={`state state-${r.status}`}>{state(r.status)}</span>
                </Cell>
                <Cell className="cell">{r.trigger}</Cell>
                <Cell className="cell">{date(r.started_at)}</Cell>
                <Cell className="cell">{date(r.ended_at)}</Cell>
                <Cell className="cell cell-error">{r.error ?? ''}</Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      </section>
    </main>
  );
}
