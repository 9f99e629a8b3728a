import { describe, expect, it } from 'vitest';
import { parseVariable, renameVariable, addActivity, cleanDoc, connect, edgeId, errorsAt, historyOf, layout, locate, parseDoc, portsOf, push, redo, removeActivities, removeTransitions, undo, updateActivity, type Doc } from './doc';

const base: Doc = { name: 'x', activities: [], transitions: [] };

describe('document ⇄ canvas', () => {
  it('builds a 4-activity campaign: add, connect by port, refuse bad links', () => {
    let d = addActivity(base, 'build_audience').doc;
    d = addActivity(d, 'split').doc;
    d = addActivity(d, 'email').doc;
    d = addActivity(d, 'end').doc;
    expect(d.activities.map((a) => a.id)).toEqual(['build_audience', 'split', 'email', 'end']);
    expect(portsOf(d.activities[1]!)).toEqual(['a', 'others']);
    expect(portsOf(d.activities[2]!)).toEqual(['out', 'failed']);
    expect(portsOf(d.activities[3]!)).toEqual([]);
    d = connect(d, 'build_audience', 'out', 'split')!;
    d = connect(d, 'split', 'a', 'email')!;
    d = connect(d, 'split', 'others', 'end')!;
    expect(d.transitions).toEqual([
      { from: 'build_audience', to: 'split' },
      { from: 'split', port: 'a', to: 'email' },
      { from: 'split', port: 'others', to: 'end' },
    ]);
    expect(connect(d, 'split', 'a', 'email')).toBeNull(); // duplicate
    expect(connect(d, 'email', 'out', 'build_audience')).toBeNull(); // a source has no input
    expect(connect(d, 'email', 'out', 'split')).toBeNull(); // cycle
    expect(connect(d, 'split', 'a', 'split')).toBeNull(); // loop
    const pos = layout(d);
    expect(pos.build_audience!.x).toBeLessThan(pos.split!.x);
    expect(pos.split!.x).toBeLessThan(pos.email!.x);
    const less = removeActivities(d, ['split']);
    expect(less.activities).toHaveLength(3);
    expect(less.transitions).toEqual([]);
    expect(removeTransitions(d, [edgeId(d.transitions[1]!)]).transitions).toHaveLength(2);
    const renamed = updateActivity(d, 'split', { ...d.activities[1]!, id: 'tiers' });
    expect(renamed.transitions.map((t) => t.from)).toEqual(['build_audience', 'tiers', 'tiers']);
  });
  it('test and combine ports follow their options', () => {
    expect(portsOf({ id: 't', type: 'test', conditions: [{ port: 'big' }] })).toEqual(['big', 'default']);
    expect(portsOf({ id: 'c', type: 'combine', complement: 'rest' })).toEqual(['out', 'rest']);
  });
  it('maps validation errors to activities and fields', () => {
    const d: Doc = { ...base, activities: [{ id: 'src', type: 'build_audience' }, { id: 'm', type: 'email' }], transitions: [{ from: 'src', to: 'nope' }] };
    const l = locate(d, [
      { path: '$.activities[0].filter.all[0].field', message: 'unknown field "cuntry"' },
      { path: '$.activities[1].subject', message: 'required' },
      { path: '$.transitions[0].to', message: 'unknown activity' },
      { path: '$.name', message: 'required' },
    ]);
    expect(errorsAt(l.byActivity.get('src'), '.filter')).toEqual(['unknown field "cuntry"']);
    expect(errorsAt(l.byActivity.get('src'), '.filter.all[0].field', true)).toEqual(['unknown field "cuntry"']);
    expect(errorsAt(l.byActivity.get('src'), '.filter.any')).toEqual([]);
    expect(errorsAt(l.byActivity.get('m'), '.subject')).toEqual(['required']);
    expect(l.byActivity.get('src')!.length).toBe(2);
    expect(l.global).toEqual([{ path: '$.name', message: 'required' }]);
  });
  it('parses the JSON view and cleans the document', () => {
    expect('error' in parseDoc('{')).toBe(true);
    expect(parseDoc('{"activities": 1, "transitions": []}')).toEqual({ error: '"activities" must be an array' });
    expect(parseDoc('{"name":"a","activities":[{"id":"x","type":"end"}],"transitions":[]}')).toEqual({ doc: { name: 'a', activities: [{ id: 'x', type: 'end' }], transitions: [] } });
    expect(cleanDoc({ ...base, description: '', tags: [], schedule: null })).toEqual(base);
    expect(cleanDoc({ ...base, tags: ['a', ' ', ''] }).tags).toEqual(['a']);
  });
  it('undo and redo', () => {
    let h = historyOf(1);
    h = push(h, 2);
    h = push(h, 3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = redo(h);
    expect(h.present).toBe(3);
    h = undo(undo(h));
    h = push(h, 9);
    expect(h).toEqual({ past: [1], present: 9, future: [] });
    expect(undo(historyOf(1)).present).toBe(1);
  });
});

describe('variables', () => {
  it('types values and renames in place', () => {
    expect(parseVariable('500')).toBe(500);
    expect(parseVariable('true')).toBe(true);
    expect(parseVariable('FR')).toBe('FR');
    expect(parseVariable('')).toBe('');
    expect(Object.keys(renameVariable({ a: 1, b: 2, c: 3 }, 'b', 'x')!)).toEqual(['a', 'x', 'c']);
    expect(renameVariable({ a: 1, b: 2 }, 'a', 'b')).toBeNull();
  });
});
