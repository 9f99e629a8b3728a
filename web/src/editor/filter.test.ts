import { describe, expect, it } from 'vitest';
import { addTo, getAt, jsonPath, kindOf, operatorsFor, placeholders, renderPreview, setGroupKind, textToValue, toggleNot, updateAt, valueToText, type Filter } from './filter';

const tree: Filter = {
  all: [
    { field: 'country', op: 'eq', value: 'FR' },
    { not: { link: 'orders', exists: { field: 'created_at', op: 'within_last', value: '90d' } } },
  ],
};

describe('filter builder', () => {
  it('offers the operators valid for the field type', () => {
    expect(operatorsFor('boolean')).toEqual(['eq', 'ne', 'is_null', 'not_null']);
    expect(operatorsFor('date')).toContain('within_last');
    expect(operatorsFor('integer')).not.toContain('contains');
    expect(operatorsFor('text')).toContain('starts_with');
  });
  it('types values by field and operator', () => {
    expect(textToValue('42', 'integer', 'gt')).toBe(42);
    expect(textToValue('4x', 'integer', 'gt')).toBe('4x');
    expect(textToValue('true', 'boolean', 'eq')).toBe(true);
    expect(textToValue('FR, DE', 'text', 'in')).toEqual(['FR', 'DE']);
    expect(textToValue('1,5', 'integer', 'between')).toEqual([1, 5]);
    expect(textToValue('$vip', 'integer', 'ge')).toEqual({ var: 'vip' });
    expect(textToValue('x', 'text', 'is_null')).toBeUndefined();
    expect(valueToText(['FR', 'DE'])).toBe('FR, DE');
    expect(valueToText({ var: 'vip' })).toBe('$vip');
  });
  it('walks, edits and removes nodes by path, and names their JSON path', () => {
    expect(kindOf(tree)).toBe('all');
    expect(kindOf(getAt(tree, [1]) as Filter)).toBe('not');
    expect(kindOf(getAt(tree, [1, 0]) as Filter)).toBe('exists');
    expect(jsonPath(tree, [1, 0, 0])).toBe('.all[1].not.exists');
    expect(jsonPath(tree, [0])).toBe('.all[0]');
    const edited = updateAt(tree, [1, 0, 0], (f) => ({ ...f, value: '30d' }) as Filter) as Filter;
    expect(getAt(edited, [1, 0, 0])).toEqual({ field: 'created_at', op: 'within_last', value: '30d' });
    expect(getAt(tree, [1, 0, 0])).toEqual({ field: 'created_at', op: 'within_last', value: '90d' }); // not mutated
    const removed = updateAt(tree, [0], () => null) as Filter;
    expect((removed as { all: Filter[] }).all).toHaveLength(1);
    expect(updateAt(tree, [], () => null)).toBeNull();
  });
  it('adds to groups, wraps leaves, switches all/any and not', () => {
    const leaf: Filter = { field: 'a', op: 'eq', value: 1 };
    expect(addTo(leaf, [], { field: 'b', op: 'eq', value: 2 })).toEqual({ all: [leaf, { field: 'b', op: 'eq', value: 2 }] });
    expect((addTo(tree, [], leaf) as { all: Filter[] }).all).toHaveLength(3);
    expect(setGroupKind(tree, 'any')).toEqual({ any: (tree as { all: Filter[] }).all });
    expect(toggleNot(toggleNot(leaf))).toEqual(leaf);
  });
  it('finds personalization fields and renders a preview', () => {
    const s = 'Hi {{first_name | default: "you"}}, {{{city}}} {{first_name}}';
    expect(placeholders(s)).toEqual(['first_name', 'city']);
    expect(renderPreview(s, { first_name: 'Ana', city: 'Lyon' })).toBe('Hi Ana, Lyon Ana');
    expect(renderPreview(s, {})).toBe('Hi you,  ');
  });
});
