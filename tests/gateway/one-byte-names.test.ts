/**
 * federation-internals builds the graphql-js schemas by re-parsing a printed SDL that V8 holds in
 * two bytes per character, so a schema's type and field names — and through V8's one table of
 * property names, every key of every answer object — would be two-byte strings, and every answer's
 * JSON twice its size in memory (past 128 KB, a large object straight out of the young
 * generation). The planner interns one-byte copies of the supergraph's names before building
 * (plan/operation-planner.ts `internOneByteNames`). Observed the only way JavaScript can: a JSON
 * text of ~70,000 characters flattened in two bytes per character (~140 KB) lands in V8's
 * new large-object space, in one byte (~70 KB) it does not. The control builds the same kind of
 * schema without the planner: if it stops showing two-byte names, federation-internals changed
 * and the workaround can go.
 */
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { OperationPlanner } from '../../gateway/plan/index.ts';

/**
 * A supergraph whose names appear nowhere else in the process, with a description in characters
 * beyond Latin-1 (as the region's). Composed under a placeholder prefix, then renamed: composition
 * interns the names it sees, and the gateway gets its supergraph from a file, not from composing.
 */
function supergraphOf(prefix: string): string {
  return composed().replaceAll(PLACEHOLDER, prefix);
}

const PLACEHOLDER = 'zqPlaceholder';
let composedSdl: string | undefined;

function composed(): string {
  if (composedSdl) return composedSdl;
  const prefix = PLACEHOLDER;
  const composed = composeServices([
    {
      name: 'only',
      url: 'http://127.0.0.1:1/graphql',
      typeDefs: parse(`
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        "Des demandes — suivies « en temps réel »"
        type Query { ${prefix}Items: [${prefix}Item] }
        type ${prefix}Item @key(fields: "${prefix}Key") { ${prefix}Key: ID! ${prefix}Label: String }
      `),
    },
  ]);
  if (composed.errors) throw composed.errors[0];
  return (composedSdl = composed.supergraphSdl);
}

/** Bytes the flattened JSON of `count` objects keyed by `keys` takes in the new large-object space. */
function largeObjectBytes(keys: readonly string[], count: number): number {
  const items = Array.from({ length: count }, (_, i) => Object.fromEntries(keys.map((key) => [key, i % 10])));
  const json = JSON.stringify(items);
  expect(json.length).toBeGreaterThan(66_000);
  expect(json.length).toBeLessThan(120_000);
  const space = () => v8.getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_large_object_space')!.space_used_size;
  const before = space();
  Buffer.byteLength(json); // flattens the JSON builder's rope into one string
  return space() - before;
}

/** The field names of `typeName` as the schema keys them (the copies V8 interned). */
function fieldNames(schema: import('graphql').GraphQLSchema, typeName: string): string[] {
  const type = schema.getType(typeName) as import('graphql').GraphQLObjectType;
  return Object.keys(type.getFields());
}

describe("a supergraph's names are one-byte strings", () => {
  it('without the planner (control): federation-internals gives two-byte names', () => {
    // Names made at run time: a literal in this file would itself be interned, one-byte, first.
    const prefix = ['zq', 'Control'].join('');
    const schema = Supergraph.build(supergraphOf(prefix)).schema.toGraphQLJSSchema();
    const keys = fieldNames(schema, `${prefix}Item`);
    expect(keys.map((key) => key.slice(prefix.length))).toEqual(['Key', 'Label']);
    expect(largeObjectBytes(keys, 1_850)).toBeGreaterThan(128 * 1024);
  });

  it("through the planner: the schema's names and every answer keyed by them stay one-byte", async () => {
    const prefix = ['zq', 'Planned'].join('');
    const planner = new OperationPlanner();
    await planner.load(supergraphOf(prefix));
    const keys = fieldNames(planner.supergraphSchema!, `${prefix}Item`);
    expect(keys.map((key) => key.slice(prefix.length))).toEqual(['Key', 'Label']);
    expect(fieldNames(planner.apiSchema!, `${prefix}Item`)).toEqual(keys);
    expect(largeObjectBytes(keys, 1_850)).toBe(0);
  });
});
