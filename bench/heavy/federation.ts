/**
 * Starts the heavy benchmark's four subgraphs on free ports and composes their supergraph (with
 * @apollo/composition, as schema/compose.ts does, at every start: it takes well under a second and
 * leaves no generated file to keep up to date). Used by `npm run bench` and, through
 * tests/harness/heavy-federation.ts, by the tests.
 */
import { composeServices } from '@apollo/composition';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { HEAVY_SUBGRAPHS, subgraphTypeDefs, type HeavySubgraphName } from './schema.ts';
import { serveHeavySubgraph, type HeavySubgraphStats } from './server.ts';

export type { HeavySubgraphName, HeavySubgraphStats };

export interface HeavyFederation {
  /** The composed supergraph, its `@join__graph(url:)` pointing at the running subgraphs. */
  supergraphSdl: string;
  /** Each subgraph's GraphQL endpoint. */
  urls: Record<HeavySubgraphName, string>;
  /** The subgraphs' process ids (for CPU time); empty when they run in this process. */
  pids: number[];
  /** What each subgraph received since its start or the last `resetStats()`. */
  stats(): Promise<Record<HeavySubgraphName, HeavySubgraphStats>>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

export interface HeavyFederationOptions {
  /**
   * Serve the subgraphs in this process instead of one child process each (default false: child
   * processes, as the benchmark measures them). Faster to start; for tests that only count calls.
   */
  inProcess?: boolean;
}

interface Started {
  url: string;
  statsUrl: string;
  pid?: number;
  close(): Promise<void>;
}

export async function startHeavyFederation(options: HeavyFederationOptions = {}): Promise<HeavyFederation> {
  const started: Partial<Record<HeavySubgraphName, Started>> = {};
  const closeAll = () => Promise.allSettled(Object.values(started).map((subgraph) => subgraph.close())).then(() => undefined);
  try {
    await Promise.all(
      HEAVY_SUBGRAPHS.map(async (name) => {
        started[name] = options.inProcess ? await serveHeavySubgraph(name) : fromProcess(await launchSubgraph(name));
      }),
    );
  } catch (error) {
    await closeAll();
    throw error;
  }
  const subgraphs = started as Record<HeavySubgraphName, Started>;
  const urls = Object.fromEntries(HEAVY_SUBGRAPHS.map((name) => [name, subgraphs[name].url])) as Record<HeavySubgraphName, string>;
  let supergraphSdl: string;
  try {
    supergraphSdl = composeHeavySupergraph(urls);
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    supergraphSdl,
    urls,
    pids: HEAVY_SUBGRAPHS.flatMap((name) => (subgraphs[name].pid === undefined ? [] : [subgraphs[name].pid])),
    async stats() {
      const entries = await Promise.all(
        HEAVY_SUBGRAPHS.map(async (name) => {
          const response = await fetch(subgraphs[name].statsUrl);
          return [name, (await response.json()) as HeavySubgraphStats] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<HeavySubgraphName, HeavySubgraphStats>;
    },
    async resetStats() {
      await Promise.all(HEAVY_SUBGRAPHS.map((name) => fetch(`${subgraphs[name].statsUrl}/reset`, { method: 'POST' }).then((response) => response.body?.cancel())));
    },
    close: closeAll,
  };
}

/** The supergraph of the four subgraphs at `urls`; throws with the composition errors. */
export function composeHeavySupergraph(urls: Record<HeavySubgraphName, string>): string {
  const composed = composeServices(HEAVY_SUBGRAPHS.map((name) => ({ name, url: urls[name], typeDefs: subgraphTypeDefs(name) })));
  if (composed.errors) throw new Error(`The heavy benchmark's subgraphs do not compose:\n${composed.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  return composed.supergraphSdl;
}

function launchSubgraph(name: HeavySubgraphName): Promise<LaunchedProcess> {
  return launch({ name: `heavy-${name}`, entry: 'bench/heavy/main.ts', env: { HEAVY_SUBGRAPH: name } });
}

function fromProcess(launched: LaunchedProcess): Started {
  return { url: launched.urls.graphql!, statsUrl: launched.urls.stats!, pid: launched.child.pid, close: () => launched.stop() };
}
