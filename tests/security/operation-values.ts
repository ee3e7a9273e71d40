/**
 * Argument values for the random operations (operation-generator.ts): valid ones that reach real
 * rows of the running system, and wrong ones of the classes issue 7 names — wrong types,
 * out-of-range numbers, huge or negative `first`, malformed codes and cursors, NUL characters and
 * lone surrogates, dates such as 0000-01-01.
 */
import {
  getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType,
  type GraphQLInputType,
} from 'graphql';
import type { Rng, Samples } from './operation-generator.ts';

/** An enum value, printed bare in a document and as a string in variables. */
class Enum {
  constructor(readonly name: string) {}
}
/** Text printed verbatim in a document (a literal JSON cannot express, e.g. `1e6` for an Int). */
class Raw {
  constructor(readonly text: string) {}
}
type Value = null | boolean | number | string | Enum | Raw | Value[] | { [key: string]: Value };

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Strings that a subgraph must refuse or handle, never choke on. */
const WRONG_STRINGS = [
  '', ' ', 'a\u0000b', '\u0000', '\ud800', 'x\udfffy', '\ud83d', 'a'.repeat(10_000), "'; DROP TABLE t_demande; --", '%_*', "\\' OR 1=1",
  '0000-01-01', '0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z', '2025-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z', 'not-a-date', '2025-13-01', '1970-01-01T00:00:00Z',
  'IDF-2026-9999999999999999', 'IDF-0000-000000', '99999999999999999999', '-1', '0', '2A', '97', '75056 ', ' 75056', '7505a', '0930124', '0930124AA',
  base64('999999999999999999999'), base64('-1'), base64('1e308'), base64('{"x":1}'), base64('\u0000'), 'ZZZZ', '====', '../../etc/passwd',
  '\n\r\t', '🙂', 'PRG-', 'PRG-99999999999999', 'SVC\u0000', 'where=1 OR 1', 'code="75" or true',
];
const WRONG_INTS = [0, -1, -100, 101, 1000, 1_000_000, 2147483647, -2147483648, 1999, 2101, 0x7fff_ffff];
const WRONG_RAW = ['2147483648', '-2147483649', '1e6', '1.5', '"5"', 'NOPE', '[1, 2]', '{ a: 1 }', 'null', '"\\ud800"', '"""block\u0000"""', '$missing', 'true'];

export function values(rng: Rng, samples: Samples) {
  let keys = 0;

  function validString(arg: string, where: string): Value {
    switch (arg) {
      case 'code':
        if (where === 'region') return '11';
        if (where === 'departement') return rng.pick(['93', '75', '77', '2A']);
        return rng.pick([samples.commune, '75056', '93066', '99999']);
      case 'uai': case 'lycee': return rng.pick([samples.uai, '0000000A']);
      case 'reference': return rng.pick([samples.reference, 'IDF-2026-000001']);
      case 'commune': return samples.commune;
      case 'departement': return rng.pick(['93', '75']);
      case 'postalCode': return '93200';
      case 'nameStartsWith': return rng.pick(['saint', 'epinay', 'Z']);
      case 'id': return rng.pick(['PRG-004', 'PRG-001']);
      case 'after': return rng.pick([null, base64('1')]);
      case 'email': return 'camille.martin@example.org';
      case 'phone': return '06 12 34 56 78';
      case 'idempotencyKey': return `fuzz-${Date.now().toString(36)}-${(keys += 1)}`;
      case 'agent': return 'AG0001';
      case 'name': return 'Camille Martin';
      case 'service': return rng.pick(['DLY', 'DTR93', 'X']);
      case 'category': return rng.pick([null, 'NUMERIQUE']);
      case 'since': return '2025-01-01T00:00:00.000Z';
      default: return rng.pick(['Bonjour', 'Le chauffage du CDI ne fonctionne plus.', 'abc']);
    }
  }

  function validInt(arg: string): number {
    if (arg === 'first') return rng.pick([1, 2, 3, 5]);
    if (arg === 'year') return rng.int(2018, 2025);
    return rng.int(1, 10);
  }

  /** A value `type` accepts; `arg` and `where` (the field or input type) pick a realistic one. */
  function valid(type: GraphQLInputType, arg: string, where: string): Value {
    if (isNonNullType(type)) {
      const inner = valid(type.ofType, arg, where);
      return inner === null ? validString('', where) : inner;
    }
    if (isListType(type)) return Array.from({ length: rng.int(1, 2) }, () => valid(type.ofType, arg, where));
    if (isEnumType(type)) return new Enum(rng.pick(type.getValues()).name);
    if (isInputObjectType(type)) {
      const object: Record<string, Value> = {};
      for (const field of Object.values(type.getFields())) {
        if (isNonNullType(field.type) || rng.chance(0.3)) object[field.name] = valid(field.type, field.name, type.name);
      }
      return object;
    }
    switch (type.name) {
      case 'Int': return validInt(arg);
      case 'Float': return 1.5;
      case 'Boolean': return rng.chance(0.5);
      case 'DateTime': return '2025-01-01T00:00:00.000Z';
      default: return validString(arg, where);
    }
  }

  /** A value `type` should refuse (or an edge it must handle): of its own kind but out of range or malformed, or of another type. */
  function wrong(type: GraphQLInputType): Value {
    const named = getNamedType(type);
    const roll = rng.next();
    if (roll < 0.1) return null;
    if (roll < 0.25) return new Raw(rng.pick(WRONG_RAW));
    if (roll < 0.35) return rng.pick<Value>([true, 12, 1.5, [], {}, ['x'], { code: '75' }, new Enum('NEW')]);
    if (isInputObjectType(named)) {
      const object: Record<string, Value> = {};
      for (const field of Object.values(named.getFields())) {
        if (rng.chance(0.7)) object[field.name] = rng.chance(0.5) ? wrong(field.type) : valid(field.type, field.name, named.name);
      }
      if (rng.chance(0.2)) object.unknownField = 'x';
      return object;
    }
    if (isEnumType(named)) return rng.pick<Value>([new Enum('NOPE'), 'NEW', new Enum(named.getValues()[0]!.name.toLowerCase())]);
    if (named.name === 'Int' || named.name === 'Float') return rng.pick(WRONG_INTS);
    if (named.name === 'Boolean') return rng.pick<Value>(['true', 0, new Raw('TRUE')]);
    return rng.pick(WRONG_STRINGS);
  }

  /** A value of a random type, for a variable whose declared type it probably does not fit. */
  function raw(): Value {
    return rng.pick<Value>([5, 'x', true, null, [], {}, { a: { b: [1] } }, '\ud800', 2 ** 53, -1, 'a\u0000', ['IDF-2026-000001']]);
  }

  function print(value: Value): string {
    if (value === null) return 'null';
    if (value instanceof Enum) return value.name;
    if (value instanceof Raw) return value.text;
    if (Array.isArray(value)) return `[${value.map(print).join(', ')}]`;
    if (typeof value === 'object') return `{ ${Object.entries(value).map(([key, inner]) => `${key}: ${print(inner)}`).join(', ')} }`;
    // JSON's string escapes are GraphQL's (a lone surrogate comes out as `\ud800`, which the parser refuses).
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  }

  /** The same value as JSON, for a variable. */
  function json(value: Value): unknown {
    if (value instanceof Enum) return value.name;
    if (value instanceof Raw) return value.text;
    if (Array.isArray(value)) return value.map(json);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, json(inner)]));
    return value;
  }

  return { valid, wrong, raw, print, json };
}

export type { Value };
