/**
 * The engine builds an entity's representation only for the first entity of each key: a fetch
 * over hundreds of entities standing for a handful of products builds a handful (run.ts
 * `prepareFlat`). What tells two entities apart (`compileKeyReader`) must agree with the
 * representations themselves (`compileRequires`): same values ⇔ same representation, and an
 * entity the extractor would skip is skipped. Checked on seeded random entities, with the odd
 * inputs subgraphs can send (missing or null key values, numbers where strings are expected, other
 * types, no `__typename`).
 */
import { describe, expect, it } from 'vitest';
import { buildSchema } from 'graphql';
import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import { compileKeyReader, compileRequires } from '../../gateway/execute/engine/requires.ts';

const schema = buildSchema(`
  interface Media { id: ID! }
  type Book implements Media { id: ID! isbn: String price: Int }
  type Film implements Media { id: ID! }
  type Query { media: [Media] }
`);

const field = (name: string, selections?: QueryPlanSelectionNode[]): QueryPlanSelectionNode => ({ kind: 'Field', name, selections }) as QueryPlanSelectionNode;
const onType = (typeCondition: string, selections: QueryPlanSelectionNode[]): QueryPlanSelectionNode => ({ kind: 'InlineFragment', typeCondition, selections }) as QueryPlanSelectionNode;

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEntity(next: () => number): Record<string, unknown> {
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)]!;
  const entity: Record<string, unknown> = {};
  const typename = pick(['Book', 'Book', 'Book', 'Film', 'Media', '', undefined, 7]);
  if (typename !== undefined) entity.__typename = typename;
  const id = pick(['1', '2', '3', 1, 2, null, undefined, '10', 'n1;']);
  if (id !== undefined) entity.id = id;
  const isbn = pick(['a', 'b', null, undefined, '1']);
  if (isbn !== undefined) entity.isbn = isbn;
  const price = pick([5, 6, '5', null, undefined]);
  if (price !== undefined) entity.price = price;
  if (next() < 0.2) entity.extra = { nested: true };
  return entity;
}

const SHAPES: Record<string, QueryPlanSelectionNode[]> = {
  'a key under a type condition': [onType('Book', [field('__typename'), field('id')])],
  'a key and required fields': [onType('Book', [field('__typename'), field('id'), field('isbn'), field('price')])],
  'an interface condition': [onType('Media', [field('__typename'), field('id')])],
  'no type condition': [field('__typename'), field('id')],
};

describe('telling representations apart without building them', () => {
  for (const [name, selections] of Object.entries(SHAPES)) {
    it(`agrees with the representations: ${name}`, () => {
      const extract = compileRequires(selections, schema);
      const readKey = compileKeyReader(selections, schema)!;
      expect(readKey).toBeDefined();
      const next = random(name.length * 7919);
      const entities = Array.from({ length: 400 }, () => randomEntity(next));
      const keyOf = (entity: Record<string, unknown>): string | null => {
        const values: unknown[] = [];
        // Values, not their text: 1 and "1" are different keys.
        return readKey(entity, values) ? JSON.stringify(values.map((value) => [typeof value, value])) : null;
      };
      const representationOf = (entity: Record<string, unknown>): string | null => {
        const representation = extract(entity);
        return representation && representation.__typename ? JSON.stringify(representation) : null;
      };
      let sendable = 0;
      for (let i = 0; i < entities.length; i++) {
        const a = entities[i]!;
        expect(keyOf(a) === null, JSON.stringify(a)).toBe(representationOf(a) === null);
        if (keyOf(a) !== null) sendable += 1;
        for (let j = 0; j < i; j++) {
          const b = entities[j]!;
          if (keyOf(a) === null || keyOf(b) === null) continue;
          expect(keyOf(a) === keyOf(b), `${JSON.stringify(a)} / ${JSON.stringify(b)}`).toBe(representationOf(a) === representationOf(b));
        }
      }
      // The generator gives both kinds, or the test would prove nothing.
      expect(sendable).toBeGreaterThan(20);
      expect(sendable).toBeLessThan(entities.length);
    });
  }

  it('is not compiled for nested or several-type representations, which are built for every entity', () => {
    expect(compileKeyReader([onType('Book', [field('__typename'), field('id', [field('x')])])], schema)).toBeUndefined();
    expect(compileKeyReader([onType('Book', [field('__typename'), field('id')]), onType('Film', [field('__typename'), field('id')])], schema)).toBeUndefined();
    expect(compileKeyReader([onType('Book', [field('id')])], schema)).toBeUndefined();
  });
});
