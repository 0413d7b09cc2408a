import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { compile } from '../../../../src/apps/webmacs/lax-numbers.ts';

const Nullable = <T extends ReturnType<typeof Type.Number>>(schema: T) => Type.Union([schema, Type.Null()]);

describe('webmacs lax numbers (spec §2.3, Pydantic lax mode)', () => {
  const body = Type.Object({
    name: Type.String(),
    value: Type.Number(),
    count: Type.Optional(Type.Integer()),
    limit: Nullable(Type.Number()),
    label: Type.Union([Type.String(), Type.Number()]),
    flag: Type.Boolean(),
    points: Type.Array(Type.Object({ value: Type.Number(), event: Type.String() })),
  });
  const coerce = compile(body)!;

  it('numeric strings in number and integer fields become numbers, at any depth', () => {
    const input = { name: '7', value: ' -1.5e2 ', count: '42', limit: '.5', label: '3', flag: 'true', points: [{ value: '20', event: '9' }, { value: 21, event: 'x' }] };
    assert.deepEqual(coerce(input), {
      name: '7',
      value: -150,
      count: 42,
      limit: 0.5,
      label: '3',
      flag: 'true',
      points: [
        { value: 20, event: '9' },
        { value: 21, event: 'x' },
      ],
    });
  });

  it('an integer field takes "42.000" but not "42.5"; nothing non-finite or non-numeric is converted', () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ count: '42.000' }, { count: 42 }],
      [{ count: '42.5' }, { count: '42.5' }],
      [{ count: '1e3' }, { count: '1e3' }],
      [{ value: 'NaN' }, { value: 'NaN' }],
      [{ value: 'inf' }, { value: 'inf' }],
      [{ value: '1e999' }, { value: '1e999' }],
      [{ value: '12abc' }, { value: '12abc' }],
      [{ value: '' }, { value: '' }],
      [{ value: '0x10' }, { value: '0x10' }],
      [{ value: true }, { value: true }],
      [{ limit: null }, { limit: null }],
    ];
    for (const [input, expected] of cases) assert.deepEqual(coerce(input), expected, JSON.stringify(input));
  });

  it('values of the wrong shape are left for validation to report', () => {
    assert.equal(coerce('not an object'), 'not an object');
    assert.deepEqual(coerce({ points: 'nope' }), { points: 'nope' });
    assert.deepEqual(coerce({ points: ['x', null] }), { points: ['x', null] });
  });

  it('schemas without number fields need no conversion at all', () => {
    assert.equal(compile(Type.Object({ name: Type.String(), tags: Type.Array(Type.String()) })), undefined);
  });
});
