/**
 * Which plan fetches the public-data cache may keep, and for how long (gateway/execute/cache/policy.ts):
 * on the committed supergraph, with the fetches the federation planner really makes, and on toy
 * supergraphs for the rules the region's schema does not exercise.
 */
import { describe, expect, it } from 'vitest';
import { IMPACT } from '../../bench/queries.ts';
import { composeToy, loadSupergraph, newCache } from './public-cache-harness.ts';


const entities = (selection: string) => `query Q($representations:[_Any!]!){_entities(representations:$representations){${selection}}}`;

const region = loadSupergraph();

describe('Public data: cached for its hint', () => {
  const cache = newCache();
  const policy = (subgraph: string, operation: string) => cache.policyOf(region.schema, subgraph, operation);

  it('caches every fetch of the Impact query but the caller-dependent one (Lycee.openRequests)', () => {
    const fetches = region.fetchesOf(IMPACT);
    const outcome = fetches.map(({ subgraph, operation }) => {
      const found = policy(subgraph, operation);
      const type = /\.\.\.on (\w+)\{(\w+)/.exec(operation);
      return [subgraph, type ? `${type[1]}.${type[2]}` : 'root', found?.maxAgeS] as const;
    });
    expect(outcome).toEqual(expect.arrayContaining([
      ['geo', 'root', 3600],
      ['lycees', 'Commune.lycees', 600],
      ['insights', 'Commune.investments', 600],
      ['insights', 'Departement.impact', 600],
      ['requests', 'Commune.requestStats', 300],
      ['requests', 'Departement.requestStats', 300],
      ['requests', 'Lycee.openRequests', undefined],
    ]));
    expect(outcome).toHaveLength(7);
  });

  it('caches a public entity fetch for the smallest max-age it selects', () => {
    expect(policy('geo', entities('...on Commune{name population departement{code name}}'))?.maxAgeS).toBe(3600);
    expect(policy('insights', entities('...on Commune{investments(year:2025){amountEur programme{name budgetEur}}}'))?.maxAgeS).toBe(600);
    expect(policy('insights', entities('...on Programme{name budgetEur}'))?.maxAgeS).toBe(3600);
    expect(policy('requests', '{services{code name kind departement{code}}categories{code defaultService{code}}}')?.maxAgeS).toBe(300);
  });

  it('tags a public aggregate of the requests subgraph with what its change events name', () => {
    const stats = policy('requests', entities('...on Commune{requestStats{open}}...on Departement{requestStats{open}}'))!;
    expect(stats.maxAgeS).toBe(300);
    expect(stats.tags({}, { __typename: 'Commune', code: '93066' })).toEqual(['requests:commune:93066']);
    expect(stats.tags({}, { __typename: 'Departement', code: '93' })).toEqual(['requests:departement:93']);
    expect(policy('geo', entities('...on Commune{name}'))!.tags({}, { __typename: 'Commune', code: '93066' })).toEqual([]);
  });

  it('caps every max-age at PUBLIC_CACHE_MAX_AGE_S', () => {
    expect(newCache({ maxAgeCapS: 60 }).policyOf(region.schema, 'geo', '{departements{code name}}')?.maxAgeS).toBe(60);
  });

  it('is memoised per supergraph, subgraph and operation text', () => {
    const text = entities('...on Commune{name}');
    expect(policy('geo', text)).toBe(policy('geo', text));
    expect(policy('geo', text)).not.toBe(cache.policyOf(loadSupergraph().schema, 'geo', text));
  });
});

describe('Never cached', () => {
  const cache = newCache();
  const policy = (subgraph: string, operation: string) => cache.policyOf(region.schema, subgraph, operation);

  it('a field that depends on the caller (scope PRIVATE): Lycee.openRequests', () => {
    expect(policy('requests', entities('...on Lycee{openRequests{totalCount}}'))).toBeUndefined();
  });

  it('a request, whose rows and fields the requests subgraph filters per caller', () => {
    expect(policy('requests', entities('...on Request{status createdAt}'))).toBeUndefined();
    expect(policy('requests', entities('...on Request{status}...on Commune{requestStats{open}}'))).toBeUndefined();
    expect(policy('requests', '{requests(first:5){totalCount}}')).toBeUndefined();
    expect(policy('requests', '{services{code}request(reference:"IDF-2026-000001"){status}}')).toBeUndefined();
  });

  it('a fetch where one field has no hint, next to hinted ones', () => {
    expect(policy('requests', '{services{code}__typename}')?.maxAgeS).toBe(300);
    expect(policy('requests', '{services{code}categories{code}requests{totalCount}}')).toBeUndefined();
    expect(policy('requests', entities('...on Commune{requestStats{open}}...on Request{status}'))).toBeUndefined();
  });

  it('mutations, subscriptions, unknown subgraphs, fields or text that does not parse', () => {
    expect(policy('requests', 'mutation{assignRequest(reference:"IDF-2026-000001",agent:"AG0001"){status}}')).toBeUndefined();
    expect(policy('requests', 'subscription{cacheInvalidations}')).toBeUndefined();
    expect(policy('elsewhere', '{departements{code}}')).toBeUndefined();
    expect(policy('geo', '{departements{code nickname}}')).toBeUndefined();
    expect(policy('geo', '{departements{')).toBeUndefined();
  });

  it('anything, when the cache is off (PUBLIC_CACHE=off)', () => {
    expect(newCache({ enabled: false }).policyOf(region.schema, 'geo', '{departements{code}}')).toBeUndefined();
  });
});

describe('Rules the region schema does not exercise (toy supergraphs)', () => {
  const toy = composeToy([
    {
      name: 'a',
      federationImports: ['@authenticated'],
      cacheImports: ['@cacheTag'],
      sdl: `
        type Query {
          thing(id: ID!): Thing @cacheControl(maxAge: 60) @cacheTag(format: "thing:{$args.id}")
          secret: Thing @cacheControl(maxAge: 60) @authenticated
          shared: Shared @cacheControl(maxAge: 60)
          bad: Thing @cacheControl(maxAge: 60) @cacheTag(format: "thing:{$key.id}")
          plain: Int
        }
        type Thing @key(fields: "id") { id: ID! size: Int detail: Detail deep: Detail @cacheControl(inheritMaxAge: true) scoped: Detail @cacheControl(scope: PUBLIC) }
        type Detail @cacheControl(maxAge: 30) { text: String }
        type Shared @key(fields: "id") @cacheControl(maxAge: 10) { id: ID! value: Int @shareable }`,
    },
    {
      name: 'b',
      sdl: `
        type Shared @key(fields: "id") @cacheControl(maxAge: 20) { id: ID! value: Int @shareable other: Other }
        type Other { n: Int }`,
    },
  ]);
  const cache = newCache();
  const policy = (operation: string, subgraph = 'a') => cache.policyOf(toy, subgraph, operation);

  it('reads {$args.x} from a literal or from the fetch variables', () => {
    expect(policy('{thing(id:"7"){size}}')!.tags({})).toEqual(['thing:7']);
    expect(policy('query($id:ID!){thing(id:$id){size}}')!.tags({ id: 'x y' })).toEqual(['thing:x y']);
  });

  it('refuses a tag it cannot resolve where it is ({$key} outside an entity)', () => {
    expect(policy('{bad{size}}')).toBeUndefined();
  });

  it('takes the return type\'s max-age, or inherits it where asked, below the root level', () => {
    expect(policy('{thing(id:"1"){detail{text}}}')?.maxAgeS).toBe(30);
    // inheritMaxAge: the parent's 60, not Detail's 30.
    expect(policy('{thing(id:"1"){deep{text}}}')?.maxAgeS).toBe(60);
    expect(policy('{thing(id:"1"){scoped{text}}}')?.maxAgeS).toBe(30);
  });

  it('never caches what an access-control directive guards, whatever its hint', () => {
    expect(policy('{secret{size}}')).toBeUndefined();
  });

  it('ignores a type-level hint on a type several subgraphs define (composition keeps only one of them)', () => {
    expect(policy('{shared{id}}')?.maxAgeS).toBe(60);
    expect(policy('query($representations:[_Any!]!){_entities(representations:$representations){...on Shared{other{n}}}}', 'b')).toBeUndefined();
  });

  it('a root field without a hint, or a field returning an object without one', () => {
    expect(policy('{plain}')).toBeUndefined();
    expect(policy('{thing(id:"1"){size}plain}')).toBeUndefined();
    expect(policy('query($representations:[_Any!]!){_entities(representations:$representations){...on Thing{size}}}')).toBeUndefined();
  });
});
