// A campaign document as a graph for the canvas: one node per activity, one edge per
// transition labelled with the count of records that took it in a run (the task of its source
// activity reports a count per output port), and a left-to-right layout computed by dagre.
import dagre from '@dagrejs/dagre';

export interface DocActivity {
  id: string;
  type: string;
}
export interface DocTransition {
  from: string;
  to: string;
  port?: string | null;
}
export interface TaskCounts {
  activity: string;
  status: string;
  counts?: Record<string, number | null> | null;
}

export interface GraphNode {
  id: string;
  type: string;
  status: string | null; // the task's status in the run shown, null when it has no task
  x: number;
  y: number;
}
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  port: string;
  count: number | null;
}

export const NODE_W = 190;
export const NODE_H = 56;

export function docToGraph(
  doc: { activities: DocActivity[]; transitions: DocTransition[] },
  tasks: TaskCounts[] = [],
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const byActivity = new Map<string, TaskCounts>();
  for (const t of tasks) byActivity.set(t.activity, t); // the last task of an activity wins
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 90, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const a of doc.activities) g.setNode(a.id, { width: NODE_W, height: NODE_H });
  const edges: GraphEdge[] = [];
  const known = new Set(doc.activities.map((a) => a.id));
  doc.transitions.forEach((t, i) => {
    if (!known.has(t.from) || !known.has(t.to)) return; // a dangling transition is the validator's
    const port = t.port ?? 'out';
    const c = byActivity.get(t.from)?.counts?.[port];
    edges.push({ id: `e${i}`, source: t.from, target: t.to, port, count: typeof c === 'number' ? c : null });
    g.setEdge(t.from, t.to);
  });
  dagre.layout(g);
  const nodes = doc.activities.map((a) => {
    const n = g.node(a.id);
    return {
      id: a.id,
      type: a.type,
      status: byActivity.get(a.id)?.status ?? null,
      x: (n?.x ?? 0) - NODE_W / 2,
      y: (n?.y ?? 0) - NODE_H / 2,
    };
  });
  return { nodes, edges };
}
