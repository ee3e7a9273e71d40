/**
 * The console's GraphQL operations are checked against the API schema of the committed supergraph
 * (schema/supergraph.graphql), so that a schema change that would break a page fails here, and the
 * TypeScript types the pages are written against (console/src/operations/generated.ts) are those
 * the current schema and operations give.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kind, validate, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, generateOperationTypes } from '../../console/tooling/codegen.ts';
import { SUPERGRAPH_PATH, loadApiSchema, loadOperations } from '../../console/tooling/operations.ts';

const schema = loadApiSchema();
const files = loadOperations();
const fragments: FragmentDefinitionNode[] = files.flatMap((file) =>
  file.document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION),
);

describe('Console operations', () => {
  it('has operations to check', () => {
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['impact.graphql', 'queue.graphql', 'submit.graphql', 'track.graphql']));
  });

  it.each(files.map((file) => [file.name, file] as const))('%s validates against the supergraph API schema', (_name, file) => {
    // Each file is validated with every fragment of the console in scope, as the generated documents are sent.
    const own = new Set(file.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => (d as FragmentDefinitionNode).name.value));
    const document: DocumentNode = { ...file.document, definitions: [...file.document.definitions, ...fragments.filter((f) => !own.has(f.name.value))] };
    const errors = validate(schema, document).map((error) => error.message).filter((message) => !message.startsWith('Fragment "') || !message.includes('is never used'));
    expect(errors).toEqual([]);
  });

  it('names every operation, once across the console', () => {
    const names = files.flatMap((file) => file.document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : [])));
    expect(names).not.toContain('(anonymous)');
    expect(new Set(names).size).toBe(names.length);
  });

  it('generated.ts is up to date with the schema and the operations (npm run build:console rewrites it)', async () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(await generateOperationTypes());
  });

  it('a schema change that breaks an operation fails validation', () => {
    // The check is not vacuous: the same operations against a schema where `Request.estimatedCompletion` was renamed fail.
    const broken = readFileSync(SUPERGRAPH_PATH, 'utf8').replace('\n  estimatedCompletion: CompletionEstimate', '\n  completionEstimate: CompletionEstimate');
    const track = files.find((f) => f.name === 'track.graphql')!;
    expect(broken).not.toContain('estimatedCompletion: CompletionEstimate');
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-supergraph-'));
    try {
      writeFileSync(join(dir, 'supergraph.graphql'), broken);
      expect(validate(loadApiSchema(join(dir, 'supergraph.graphql')), track.document).map((e) => e.message).join('\n')).toContain('estimatedCompletion');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
