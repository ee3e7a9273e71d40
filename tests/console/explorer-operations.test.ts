/**
 * The Explorer's preloaded tabs are the README's examples; each must stay valid against the API
 * schema clients see (built from the committed supergraph), with variables of the declared types,
 * so that a schema change that breaks one fails here rather than in a partner's browser.
 */
import { coerceInputValue, parse, typeFromAST, validate, type GraphQLInputType, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { exampleOperations } from '../../console/src/explorer/operations.ts';
import { loadApiSchema } from '../security/operation-generator.ts';

const schema = loadApiSchema();
const operations = exampleOperations('explorer-test-key-0001');

describe('Explorer example operations', () => {
  it('preloads the README examples: impact, lycées, communes search, commune impact, submitRequest, requestUpdated', () => {
    expect(operations.map((operation) => operation.name)).toEqual([
      'Impact', 'LyceesSaintDenis', 'CommunesSearch', 'CommuneImpact', 'SubmitRequest', 'RequestUpdated',
    ]);
  });

  for (const operation of exampleOperations('explorer-test-key-0001')) {
    describe(operation.name, () => {
      const document = parse(operation.query);
      const definitions = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');

      it('is one operation named as its tab', () => {
        expect(definitions).toHaveLength(1);
        expect(definitions[0]!.name?.value).toBe(operation.name);
      });

      it('validates against the API schema', () => {
        expect(validate(schema, document).map((error) => error.message)).toEqual([]);
      });

      it('has variables of the declared types, every required one given', () => {
        const variables = (operation.variables ? JSON.parse(operation.variables) : {}) as Record<string, unknown>;
        const declared = definitions[0]!.variableDefinitions ?? [];
        expect(Object.keys(variables).filter((name) => !declared.some((d) => d.variable.name.value === name))).toEqual([]);
        for (const definition of declared) {
          const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
          expect(type, definition.variable.name.value).toBeDefined();
          // coerceInputValue throws on a missing required value or a wrong type.
          coerceInputValue(variables[definition.variable.name.value] ?? null, type!, (path, _value, error) => {
            throw new Error(`$${definition.variable.name.value}${path.length ? `.${path.join('.')}` : ''}: ${error.message}`);
          });
        }
      });
    });
  }

  it('gives every page load its own idempotency key for SubmitRequest', () => {
    const variables = (key: string) => JSON.parse(exampleOperations(key).find((o) => o.name === 'SubmitRequest')!.variables!);
    expect(variables('a-first-key-123').idempotencyKey).toBe('a-first-key-123');
    expect(variables('another-key-456').idempotencyKey).toBe('another-key-456');
  });
});
