/**
 * Entities whose key has several fields, the first of them shared by many (`@key(fields: "country
 * id")`, every place in one country): the engine tells their representations apart by one value and
 * then compares the others (run.ts `prepareFlat`); past a few sharing that value it compares them
 * as text, so a key whose first field has few values never makes a fetch quadratic. Whichever way,
 * each distinct representation is sent once, repeated ones get their answer, and the answer is
 * stock @apollo/gateway's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceFederation, type ConformanceFederation } from './conformance/harness.ts';

const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
// 40 distinct places, all in one country but two, each visited one to three times.
const PLACES = Array.from({ length: 40 }, (_, i) => ({ country: i % 20 === 7 ? 'BE' : 'FR', id: String(i) }));
const VISITS = PLACES.flatMap((place, i) => Array.from({ length: 1 + (i % 3) }, (_, n) => ({ id: `v${i}-${n}`, place })));

let federation: ConformanceFederation;

beforeAll(async () => {
  federation = await startConformanceFederation([
    {
      name: 'visits',
      typeDefs: `${link}
        type Query { visits: [Visit] }
        type Visit { id: ID! place: Place }
        type Place @key(fields: "country id") { country: String! id: ID! }`,
      resolvers: { Query: { visits: () => VISITS } },
    },
    {
      name: 'places',
      typeDefs: `${link}
        type Place @key(fields: "country id") { country: String! id: ID! name: String }`,
      resolvers: {
        Place: { __resolveReference: (reference: { country: string; id: string }) => ({ ...reference, name: `${reference.country}-${reference.id}` }) },
      },
    },
  ]);
}, 60_000);

afterAll(async () => {
  await federation?.close();
});

describe('a key whose first field is shared by many entities', () => {
  it('sends each distinct representation once and answers as stock', async () => {
    const { stock, engine, engineRequests } = await federation.both('{ visits { id place { country id name } } }');
    expect(engine.errors).toBeUndefined();
    expect(engine).toEqual(stock);
    expect((engine.data as { visits: unknown[] }).visits).toHaveLength(VISITS.length);
    const toPlaces = engineRequests.filter((request) => request.subgraph === 'places');
    expect(toPlaces).toHaveLength(1);
    const sent = toPlaces[0]!.variables.representations as { country: string; id: string }[];
    expect(sent).toHaveLength(PLACES.length);
    expect(new Set(sent.map((place) => `${place.country}/${place.id}`)).size).toBe(PLACES.length);
  });
});
