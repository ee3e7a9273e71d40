/**
 * The parse-and-validate cache every transport shares (gateway/plan/document-cache.ts): a repeated
 * text is neither parsed nor validated again, failures are remembered too, a new schema validates
 * again (its parse reused), and the cache stays within its bounds whatever texts arrive.
 */
import { describe, expect, it } from 'vitest';
import { buildSchema, specifiedRules, type ValidationRule } from 'graphql';
import { DocumentCache } from '../../gateway/plan/index.ts';
import { MaxDepthRule } from '../../gateway/limit/index.ts';

const schema = buildSchema('type Query { a: A } type A { b: A name: String }');
const renamed = buildSchema('type Query { a: A } type A { b: A title: String }');

/** specifiedRules plus the depth limit, with a count of how many documents were validated. */
function counting(maxDepth = 3) {
  const counter = { validations: 0 };
  const countRule: ValidationRule = () => {
    counter.validations += 1;
    return {};
  };
  return { counter, rules: [...specifiedRules, MaxDepthRule(maxDepth), countRule] };
}

describe('Hits', () => {
  it('parses and validates a text once, and hands back the same document', () => {
    const { counter, rules } = counting();
    const cache = new DocumentCache({ parseOptions: {}, rules, maxEntries: 10 });
    const first = cache.check('{ a { name } }', schema);
    const second = cache.check('{ a { name } }', schema);
    expect(first.ok && second.ok && first.document === second.document).toBe(true);
    expect(counter.validations).toBe(1);
  });

  it('remembers syntax and validation errors, with their catalogue codes', () => {
    const { counter, rules } = counting();
    const cache = new DocumentCache({ parseOptions: {}, rules, maxEntries: 10 });
    const syntax = cache.check('{ a { name ', schema);
    expect(syntax.ok ? [] : syntax.errors.map((error) => error.extensions.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(cache.check('{ a { name ', schema)).toBe(syntax);
    const invalid = cache.check('{ a { colour } }', schema);
    expect(invalid.ok ? [] : invalid.errors.map((error) => error.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(cache.check('{ a { colour } }', schema)).toBe(invalid);
    expect(counter.validations).toBe(1);
  });

  it('keeps a rule’s own code (here MAX_DEPTH_EXCEEDED)', () => {
    const { rules } = counting(2);
    const cache = new DocumentCache({ parseOptions: {}, rules, maxEntries: 10 });
    const deep = cache.check('{ a { b { b { name } } } }', schema);
    expect(deep.ok ? [] : deep.errors.map((error) => error.extensions.code)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });

  it('applies the parse options (a token limit is a syntax error, every time)', () => {
    const cache = new DocumentCache({ parseOptions: { maxTokens: 5 }, rules: specifiedRules, maxEntries: 10 });
    for (let i = 0; i < 2; i++) expect(cache.check('{ a { b { name } } }', schema).ok).toBe(false);
    expect(cache.check('{ a }', schema).ok).toBe(false);
  });
});

describe('A new supergraph', () => {
  it('validates again against the new schema, reusing the parse', () => {
    const { counter, rules } = counting();
    const cache = new DocumentCache({ parseOptions: {}, rules, maxEntries: 10 });
    const before = cache.check('{ a { name } }', schema);
    expect(before.ok).toBe(true);
    const after = cache.check('{ a { name } }', renamed);
    expect(after.ok).toBe(false);
    expect(counter.validations).toBe(2);
    const back = cache.check('{ a { name } }', schema);
    expect(back.ok && before.ok && back.document === before.document).toBe(true);
  });
});

describe('Bounds', () => {
  it('keeps at most maxEntries, least recently used out first', () => {
    const cache = new DocumentCache({ parseOptions: {}, rules: specifiedRules, maxEntries: 3 });
    for (let i = 0; i < 100; i++) cache.check(`{ a { name } } # ${i}`, schema);
    expect(cache.size).toBe(3);
    const { counter, rules } = counting();
    const lru = new DocumentCache({ parseOptions: {}, rules, maxEntries: 2 });
    lru.check('{ a { name } }', schema);
    lru.check('{ a { b { name } } }', schema);
    lru.check('{ a { name } }', schema); // most recent again
    lru.check('{ __typename }', schema); // evicts the second text
    lru.check('{ a { name } }', schema);
    expect(counter.validations).toBe(3);
    lru.check('{ a { b { name } } }', schema);
    expect(counter.validations).toBe(4);
  });

  it('keeps at most maxBytes of texts and parsed documents (each token counts), and never a larger one', () => {
    // `{ a { name } }` is 7 tokens with <SOF> and <EOF>: about 2 KB parsed.
    const cache = new DocumentCache({ parseOptions: {}, rules: specifiedRules, maxEntries: 1_000, maxBytes: 10_000 });
    for (let i = 0; i < 50; i++) cache.check(`{ a { name } } # ${i}`, schema);
    expect(cache.size).toBeGreaterThan(1);
    expect(cache.size).toBeLessThanOrEqual(5);
    const many = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: a { name }`).join(' ')} }`;
    cache.check(many, schema);
    expect(cache.size).toBeGreaterThan(1);
    expect(cache.size).toBeLessThanOrEqual(5);
  });

  it('caches nothing with maxEntries 0', () => {
    const { counter, rules } = counting();
    const cache = new DocumentCache({ parseOptions: {}, rules, maxEntries: 0 });
    cache.check('{ a { name } }', schema);
    cache.check('{ a { name } }', schema);
    expect(cache.size).toBe(0);
    expect(counter.validations).toBe(2);
  });
});
