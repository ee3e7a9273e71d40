/**
 * Composition of the subgraphs' SDL into the supergraph, with errors reported per subgraph.
 * Used by `npm run compose` and by the test that fails when the committed supergraph is stale.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, GraphQLError } from 'graphql';

export interface SubgraphEntry {
  name: string;
  schema: string;
  url: string;
}

export const ROOT = resolve(import.meta.dirname, '..');
export const SUPERGRAPH_PATH = resolve(ROOT, 'schema/supergraph.graphql');

export function readSubgraphEntries(): SubgraphEntry[] {
  const config = JSON.parse(readFileSync(resolve(ROOT, 'schema/subgraphs.json'), 'utf8')) as { subgraphs: SubgraphEntry[] };
  return config.subgraphs;
}

export type CompositionOutcome = { ok: true; supergraphSdl: string; hints: string[] } | { ok: false; errors: string[] };

export function compose(entries: SubgraphEntry[] = readSubgraphEntries()): CompositionOutcome {
  const errors: string[] = [];
  const services = entries.flatMap((entry) => {
    try {
      return [{ name: entry.name, url: entry.url, typeDefs: parse(readFileSync(resolve(ROOT, entry.schema), 'utf8')) }];
    } catch (error) {
      const where = error instanceof GraphQLError && error.locations ? ` (line ${error.locations[0]!.line})` : '';
      errors.push(`[${entry.name}] ${entry.schema}${where}: ${(error as Error).message}`);
      return [];
    }
  });
  if (errors.length > 0) return { ok: false, errors };

  const result = composeServices(services);
  if (result.errors) {
    return {
      ok: false,
      errors: result.errors.map((error) => {
        const code = (error.extensions.code as string | undefined) ?? 'COMPOSITION_ERROR';
        // Composition errors name subgraphs in their message; the nodes say where in each SDL.
        const where = (error.nodes ?? [])
          .map((node) => node.loc?.source.name && node.loc.startToken ? `${node.loc.source.name}:${node.loc.startToken.line}` : undefined)
          .filter(Boolean);
        return `[${code}] ${error.message}${where.length ? ` (at ${where.join(', ')})` : ''}`;
      }),
    };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl, hints: result.hints.map((hint) => hint.toString()) };
}
