import { describe, expect, it } from 'vitest';
import { docToGraph } from './graph';

const doc = {
  activities: [
    { id: 'aud', type: 'build_audience' },
    { id: 'split', type: 'split' },
    { id: 'mail', type: 'email' },
    { id: 'save', type: 'save_audience' },
  ],
  transitions: [
    { from: 'aud', to: 'split' },
    { from: 'split', port: 'vip', to: 'mail' },
    { from: 'split', port: 'others', to: 'save' },
    { from: 'split', port: 'others', to: 'ghost' },
  ],
};

describe('document → graph', () => {
  it('one node per activity, one edge per transition between known activities', () => {
    const { nodes, edges } = docToGraph(doc);
    expect(nodes.map((n) => n.id)).toEqual(['aud', 'split', 'mail', 'save']);
    expect(edges.map((e) => `${e.source}.${e.port}→${e.target}`)).toEqual(['aud.out→split', 'split.vip→mail', 'split.others→save']);
    expect(edges.every((e) => e.count === null)).toBe(true);
  });
  it('counts come from the source task of each transition, by port', () => {
    const { nodes, edges } = docToGraph(doc, [
      { activity: 'aud', status: 'completed', counts: { out: 1200 } },
      { activity: 'split', status: 'completed', counts: { vip: 150, others: 1050 } },
      { activity: 'mail', status: 'failed', counts: null },
    ]);
    expect(edges.map((e) => e.count)).toEqual([1200, 150, 1050]);
    expect(nodes.map((n) => n.status)).toEqual(['completed', 'completed', 'failed', null]);
  });
  it('lays out left to right: each activity right of the one feeding it, siblings apart', () => {
    const { nodes } = docToGraph(doc);
    const at = Object.fromEntries(nodes.map((n) => [n.id, n]));
    expect(at.split!.x).toBeGreaterThan(at.aud!.x);
    expect(at.mail!.x).toBeGreaterThan(at.split!.x);
    expect(at.mail!.y).not.toBe(at.save!.y);
  });
});
