/** The committed supergraph is what the subgraphs compose to today, and composition errors are legible. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compose, readSubgraphEntries, ROOT, SUPERGRAPH_PATH } from '../../schema/composition.ts';

describe('Supergraph', () => {
  it('is up to date with the subgraphs (run `npm run compose` when this fails)', () => {
    const outcome = compose();
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('describes every type, field, argument and enum value of every subgraph', () => {
    const missing: string[] = [];
    for (const entry of readSubgraphEntries()) {
      const document = parse(readFileSync(resolve(ROOT, entry.schema), 'utf8'));
      for (const definition of document.definitions) {
        if (!('name' in definition) || !definition.name) continue;
        const typeName = definition.name.value;
        const described = (node: { description?: { value: string } }) => Boolean(node.description?.value.trim());
        const external = (node: { directives?: readonly { name: { value: string } }[] }) =>
          node.directives?.some((d) => d.name.value === 'external') ?? false;
        if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION ||
            definition.kind === Kind.ENUM_TYPE_DEFINITION || definition.kind === Kind.SCALAR_TYPE_DEFINITION ||
            definition.kind === Kind.INTERFACE_TYPE_DEFINITION || definition.kind === Kind.UNION_TYPE_DEFINITION) {
          if (!['Query', 'Mutation', 'Subscription'].includes(typeName) && !described(definition)) missing.push(`${entry.name}: type ${typeName}`);
        }
        if ('fields' in definition && definition.fields) {
          for (const field of definition.fields) {
            if (external(field)) continue;
            if (!described(field)) missing.push(`${entry.name}: ${typeName}.${field.name.value}`);
            for (const arg of ('arguments' in field ? field.arguments : undefined) ?? []) {
              if (!described(arg)) missing.push(`${entry.name}: ${typeName}.${field.name.value}(${arg.name.value})`);
            }
          }
        }
        if ('values' in definition && definition.values) {
          for (const value of definition.values) if (!described(value)) missing.push(`${entry.name}: ${typeName}.${value.name.value}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('reports a composition error in full, naming the subgraphs involved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-compose-'));
    const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
    writeFileSync(join(dir, 'a.graphql'), `${link}\ntype Query { thing: Thing }\ntype Thing @key(fields: "id") { id: ID! size: Int }`);
    writeFileSync(join(dir, 'b.graphql'), `${link}\ntype Thing @key(fields: "id") { id: ID! size: String }`);
    const outcome = compose([
      { name: 'alpha', schema: join(dir, 'a.graphql'), url: 'http://a/graphql' },
      { name: 'beta', schema: join(dir, 'b.graphql'), url: 'http://b/graphql' },
    ]);
    expect(outcome.ok).toBe(false);
    const text = outcome.ok ? '' : outcome.errors.join('\n');
    expect(text).toContain('Thing.size');
    expect(text).toContain('"alpha"');
    expect(text).toContain('"beta"');
  });

  it('reports an SDL syntax error with the subgraph and file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-compose-'));
    writeFileSync(join(dir, 'bad.graphql'), 'type Query { broken');
    const outcome = compose([{ name: 'gamma', schema: join(dir, 'bad.graphql'), url: 'http://g/graphql' }]);
    expect(outcome.ok ? '' : outcome.errors[0]).toMatch(/^\[gamma\] .*bad\.graphql \(line 1\)/);
  });
});
