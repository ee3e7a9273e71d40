/**
 * Random GraphQL operations, valid and invalid, generated from the region's API schema (the
 * supergraph's client-facing schema), for tests/security/random-operations.test.ts. Everything
 * comes from a seeded PRNG, so a seed replays the same operations.
 *
 * Kinds: random walks with right or wrong arguments, deep nesting (sometimes past the limits),
 * fragments (named, inline, cyclic, unused, fanned out), alias floods, variables (declared,
 * undeclared, of the wrong type), directives (@skip/@include, unknown ones), syntax garbage and
 * mutated bytes of a valid document.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import {
  getNamedType, isAbstractType, isLeafType, isNonNullType, isObjectType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';
import { values, type Value } from './operation-values.ts';

/** mulberry32: small, fast, good enough to pick operations, and the same sequence for the same seed. */
export interface Rng {
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)]!, chance: (probability) => next() < probability };
}

/** The API schema clients see, built from the committed supergraph (security directives understood, as the gateway does). */
export function loadApiSchema(path = resolve(import.meta.dirname, '../../schema/supergraph.graphql')): GraphQLSchema {
  const security = ['authenticated', 'requiresScopes', 'policy'].map((name) => `https://specs.apollo.dev/${name}/v0.1`);
  const supergraph = Supergraph.build(readFileSync(path, 'utf8'), { supportedFeatures: new Set([...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, ...security]) });
  return supergraph.apiSchema().toGraphQLJSSchema();
}

export const OPERATION_KINDS = [
  'valid', 'wrong-arguments', 'deep', 'fragments', 'aliases', 'variables', 'directives', 'mutation', 'subscription', 'garbage', 'mutated',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export interface GeneratedOperation {
  kind: OperationKind;
  /** The document; for `garbage`, possibly not GraphQL at all. */
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** A raw HTTP body to send instead of `{ query, variables, operationName }` (malformed bodies). */
  rawBody?: string;
}

/** Values from the running system that make valid arguments hit real rows. */
export interface Samples {
  uai: string;
  reference: string;
  commune: string;
}

/** How many operations of each kind in a hundred. */
const WEIGHTS: Record<OperationKind, number> = {
  valid: 24, 'wrong-arguments': 14, deep: 6, fragments: 10, aliases: 6, variables: 10, directives: 7, mutation: 6, subscription: 4, garbage: 7, mutated: 6,
};

/** The walk's state: mode of the arguments, and a budget of fields so a walk stays cheap to run. */
interface Walk {
  wrong: boolean;
  fields: number;
  /** With variables: the declarations made so far and their values. */
  variables?: { declarations: string[]; values: Record<string, unknown> };
}

export function createOperationGenerator(schema: GraphQLSchema, rng: Rng, samples: Samples) {
  const value = values(rng, samples);
  const query = schema.getQueryType()!;
  const objectTypes = Object.values(schema.getTypeMap()).filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'));

  /** A selection set on `type`, `depth` levels deep at most. */
  function selection(type: GraphQLNamedType, depth: number, walk: Walk): string {
    if (isAbstractType(type)) {
      const possible = schema.getPossibleTypes(type);
      return `{ __typename ${possible.slice(0, 2).map((object) => `... on ${object.name} ${selection(object, depth - 1, walk)}`).join(' ')} }`;
    }
    if (!isObjectType(type)) return '';
    const fields = Object.values(type.getFields());
    const leaves = fields.filter((field) => isLeafType(getNamedType(field.type)));
    const wanted = rng.int(1, 4);
    const chosen: string[] = [];
    for (let i = 0; i < wanted && walk.fields < 40; i++) {
      const field = depth <= 1 && leaves.length > 0 ? rng.pick(leaves) : rng.pick(fields);
      chosen.push(fieldSelection(field, depth, walk));
    }
    if (chosen.length === 0) chosen.push(leaves.length > 0 ? rng.pick(leaves).name : '__typename');
    return `{ ${chosen.join(' ')} }`;
  }

  function fieldSelection(field: GraphQLField<unknown, unknown>, depth: number, walk: Walk, alias?: string): string {
    walk.fields += 1;
    const named = getNamedType(field.type);
    const args = argumentsOf(field.args, field.name, walk);
    const head = `${alias ? `${alias}: ` : ''}${field.name}${args}`;
    if (isLeafType(named)) return head;
    // Past the depth wanted, a composite field still needs a selection: its cheapest one.
    return `${head} ${depth > 1 ? selection(named, depth - 1, walk) : leafSelection(named)}`;
  }

  function leafSelection(type: GraphQLNamedType): string {
    if (!isObjectType(type)) return '{ __typename }';
    const leaf = Object.values(type.getFields()).find((field) => isLeafType(getNamedType(field.type)) && field.args.length === 0);
    return `{ ${leaf?.name ?? '__typename'} }`;
  }

  function argumentsOf(args: readonly GraphQLArgument[], field: string, walk: Walk): string {
    const given = args.filter((arg) => isNonNullType(arg.type) || rng.chance(0.5));
    if (walk.wrong && rng.chance(0.05)) given.push({ name: rng.pick(['unknown', 'limit', 'offset', '__proto__']), type: args[0]?.type ?? schema.getType('String') } as GraphQLArgument);
    if (walk.wrong && given.length > 0 && rng.chance(0.05)) given.shift(); // a required argument left out
    if (given.length === 0) return '';
    const printed = given.map((arg) => {
      const literal = walk.wrong && rng.chance(0.4) ? value.wrong(arg.type as GraphQLInputType) : value.valid(arg.type as GraphQLInputType, arg.name, field);
      if (walk.variables && rng.chance(0.6)) return `${arg.name}: ${variableFor(arg, literal, walk)}`;
      return `${arg.name}: ${value.print(literal)}`;
    });
    return `(${printed.join(', ')})`;
  }

  /** Declares (or, sometimes, forgets to declare, or declares with another type) a variable for `arg`. */
  function variableFor(arg: GraphQLArgument, literal: Value, walk: Walk): string {
    const vars = walk.variables!;
    const name = `v${vars.declarations.length}`;
    const roll = rng.next();
    if (roll < 0.1) return `$undeclared${name}`;
    const declared = roll < 0.2 ? rng.pick(['Int', 'String!', '[String]', 'Boolean', 'RequestFilter', 'Nope']) : String(arg.type);
    vars.declarations.push(`$${name}: ${declared}${rng.chance(0.1) ? ` = ${value.print(literal)}` : ''}`);
    if (!rng.chance(0.1)) vars.values[name] = value.json(rng.chance(0.2) ? value.raw() : literal);
    return `$${name}`;
  }

  /** A random walk from `root` (Query unless told): `{ a(…) { b … } … }`. */
  function walkFrom(root: GraphQLObjectType, options: { wrong?: boolean; depth?: number; variables?: boolean; single?: boolean } = {}) {
    const walk: Walk = { wrong: options.wrong ?? false, fields: 0, variables: options.variables ? { declarations: [], values: {} } : undefined };
    const depth = options.depth ?? rng.int(1, 4);
    // A subscription selects one root field (more is a validation error, tried now and then).
    const body = options.single ? `{ ${fieldSelection(rng.pick(Object.values(root.getFields())), depth, walk)} }` : selection(root, depth, walk);
    return { body, walk };
  }

  function operation(keyword: string, body: string, walk: Walk, name = ''): string {
    const declarations = walk.variables?.declarations ?? [];
    return `${keyword}${name ? ` ${name}` : ''}${declarations.length > 0 ? `(${declarations.join(', ')})` : ''} ${body}`;
  }

  /** `commune { lycees { commune { lycees … } } }` and other cycles of the entity graph, `levels` deep. */
  function deep(): GeneratedOperation {
    const cycles = [
      { root: `commune(code: "${samples.commune}")`, steps: ['lycees', 'commune'], leaf: 'name' },
      { root: 'departements', steps: ['communes', 'departement'], leaf: 'code' },
      { root: 'regions', steps: ['departements', 'region'], leaf: 'code' },
      { root: `lycee(uai: "${samples.uai}")`, steps: ['investments', 'lycee'], leaf: 'uai' },
    ];
    const cycle = rng.pick(cycles);
    const levels = rng.pick([2, 4, 8, 12, 16, 30, 200]);
    let body = cycle.leaf;
    for (let level = levels - 1; level >= 0; level--) body = `${cycle.steps[level % 2]} { ${body} }`;
    return { kind: 'deep', query: `{ ${cycle.root} { ${body} } }` };
  }

  function fragments(): GeneratedOperation {
    const roll = rng.int(0, 5);
    if (roll === 0) {
      // Fan-out: each fragment spreads the next twice (attack 2 of issue 7).
      const levels = rng.int(5, 40);
      const defs = Array.from({ length: levels }, (_, i) => `fragment F${i} on Commune { code ${i + 1 < levels ? `lycees { commune { ...F${i + 1} ...F${i + 1} } }` : ''} }`);
      return { kind: 'fragments', query: `{ commune(code: "${samples.commune}") { ...F0 } } ${defs.join(' ')}` };
    }
    if (roll === 1) return { kind: 'fragments', query: `{ regions { ...A } } fragment A on Region { code departements { region { ...B } } } fragment B on Region { ...A }` };
    if (roll === 2) return { kind: 'fragments', query: `{ regions { code } } fragment Unused on Region { name }` };
    if (roll === 3) return { kind: 'fragments', query: `{ regions { ...Missing ... on Lycee { uai } } }` };
    // A fragment on a random type, spread where it may or may not apply (a wrong type is a validation error).
    const type = rng.pick(objectTypes.filter((object) => object !== schema.getMutationType() && object !== schema.getSubscriptionType()));
    const fragment = `fragment R on ${type.name} ${selection(type, rng.int(1, 3), { wrong: rng.chance(0.2), fields: 0 })}`;
    const site = rng.pick(['regions', 'departements', `commune(code: "${samples.commune}")`, `lycee(uai: "${samples.uai}")`, `programmes`]);
    const inline = rng.pick(['', `... on ${type.name} { __typename }`, '... { __typename }', '... @include(if: false) { __typename }']);
    const second = rng.chance(0.3) ? ' query Two { regions { code } }' : '';
    return { kind: 'fragments', query: `query One { ${site} { __typename ...R ${inline} } } ${fragment}${second}`, operationName: second && rng.chance(0.7) ? rng.pick(['One', 'Two']) : undefined };
  }

  function aliases(): GeneratedOperation {
    const count = rng.pick([2, 10, 29, 30, 31, 60, 300]);
    const root = rng.chance(0.5);
    const parts = Array.from({ length: count }, (_, i) => (root ? `a${i}: regions { code }` : `a${i}: code`));
    return { kind: 'aliases', query: root ? `{ ${parts.join(' ')} }` : `{ regions { ${parts.join(' ')} } }` };
  }

  function directives(): GeneratedOperation {
    const directive = rng.pick([
      '@skip(if: true)', '@skip(if: false)', '@include(if: false)', '@include(if: true)', '@include(if: $show)', '@skip', '@skip(if: "yes")',
      '@unknown', '@deprecated', '@skip(if: true) @skip(if: false)', '@include(if: null)', '@specifiedBy(url: "x")', '@cost(weight: 1)',
    ]);
    const flood = rng.chance(0.2) ? ` ${'@skip(if: false) '.repeat(rng.pick([10, 100, 1000]))}` : '';
    const variables = directive.includes('$show') ? '($show: Boolean!)' : '';
    return {
      kind: 'directives',
      query: `query D${variables} { regions { code name ${directive}${flood} departements ${directive} { code } } }`,
      variables: variables ? { show: rng.pick([true, false, 'yes', null]) } : undefined,
    };
  }

  function garbage(): GeneratedOperation {
    const tokens = ['{', '}', '(', ')', ':', '$', '@', '...', 'query', 'mutation', 'fragment', 'on', '"', '"""', '#', '\u0000', '\ud800', 'regions', '!', '[', ']', '=', '1e999', '-0', '\\u0000', ','];
    const roll = rng.int(0, 6);
    if (roll === 0) return { kind: 'garbage', query: Array.from({ length: rng.int(1, 60) }, () => rng.pick(tokens)).join(rng.pick(['', ' '])) };
    if (roll === 1) return { kind: 'garbage', query: rng.pick(['', ' ', '{', '{'.repeat(10_000), '#'.repeat(5000), 'query', '{ regions { code }', 'subscription', '"\u0000"']) };
    if (roll === 2) return { kind: 'garbage', query: '', rawBody: rng.pick(['', '{', 'null', '[]', '[{"query":"{ regions { code } }"}]', '{"query": 5}', '{"query":"{ regions { code } }","variables":"x"}', '{"query":"{ regions { code } }","operationName":[]}', '{"query":"{ regions { code } }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}', '\u0000\u0001\u0002', '{"query":"{ regions { code } }"'.padEnd(2000, ' ')]) };
    if (roll === 3) return { kind: 'garbage', query: `{ regions { code } }`, operationName: rng.pick(['Nope', '', '\u0000', 'a'.repeat(5000)]) };
    if (roll === 4) return { kind: 'garbage', query: `query A { regions { code } } query B { departements { code } }`, operationName: rng.pick([undefined, 'A', 'C']) };
    if (roll === 5) return { kind: 'garbage', query: `{ ${'regions { code } '.repeat(rng.pick([21, 200]))} }` };
    return { kind: 'garbage', query: `{ regions { code } }`, variables: rng.pick([{ a: '\ud800' }, { __proto__: { x: 1 } }, { deep: JSON.parse('['.repeat(500) + ']'.repeat(500)) as unknown }]) };
  }

  function mutated(): GeneratedOperation {
    const { body } = walkFrom(query, { depth: rng.int(1, 3) });
    const chars = [...body];
    for (let i = rng.int(1, 6); i > 0; i--) {
      const at = rng.int(0, chars.length - 1);
      const roll = rng.int(0, 3);
      if (roll === 0) chars.splice(at, 1);
      else if (roll === 1) chars.splice(at, 0, String.fromCharCode(rng.int(0, 0xffff)));
      else if (roll === 2) chars[at] = rng.pick(['{', '}', '(', '"', '$', '@', ' ', '\u0000']);
      else chars.splice(at, 0, ...chars.slice(at, at + rng.int(1, 20)));
    }
    return { kind: 'mutated', query: chars.join('') };
  }

  return function next(): GeneratedOperation {
    let roll = rng.int(1, 100);
    const kind = OPERATION_KINDS.find((candidate) => (roll -= WEIGHTS[candidate]) <= 0) ?? 'valid';
    switch (kind) {
      case 'valid': {
        const { body } = walkFrom(query);
        return { kind, query: rng.chance(0.5) ? body : `query Valid ${body}`, operationName: undefined };
      }
      case 'wrong-arguments':
        return { kind, query: walkFrom(query, { wrong: true }).body };
      case 'variables': {
        const { body, walk } = walkFrom(query, { wrong: rng.chance(0.3), variables: true });
        if (rng.chance(0.1)) walk.variables!.declarations.push('$unused: Int');
        return { kind, query: operation('query V', body, walk), variables: walk.variables!.values, operationName: rng.chance(0.5) ? 'V' : undefined };
      }
      case 'mutation': {
        const { body, walk } = walkFrom(schema.getMutationType()!, { wrong: rng.chance(0.5), variables: rng.chance(0.3), depth: 2 });
        return { kind, query: operation('mutation', body, walk), variables: walk.variables?.values };
      }
      case 'subscription': {
        const { body, walk } = walkFrom(schema.getSubscriptionType()!, { wrong: rng.chance(0.4), variables: rng.chance(0.3), depth: 2, single: rng.chance(0.9) });
        return { kind, query: operation('subscription', body, walk), variables: walk.variables?.values };
      }
      case 'deep': return deep();
      case 'fragments': return fragments();
      case 'aliases': return aliases();
      case 'directives': return directives();
      case 'garbage': return garbage();
      case 'mutated': return mutated();
    }
  };
}

