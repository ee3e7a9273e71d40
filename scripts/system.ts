/**
 * The whole of Passerelle on one machine: four legacy stand-ins, four subgraphs wired to them, and
 * the gateway wired to the subgraphs. `npm start` runs it on the default ports; tests run it on
 * free ports (`freePorts: true`) so that several can run side by side.
 */
import { launch, type LaunchedProcess } from './launcher.ts';

export interface SystemOptions {
  /** Listen on port 0 everywhere and wire processes with the ports they report. */
  freePorts?: boolean;
  /** Extra environment for every process (e.g. DATABASE_URL, LYCEES_API_LATENCY_MS=0). */
  env?: Record<string, string | undefined>;
  onLine?: (process: string, line: string) => void;
}

export interface RunningSystem {
  gateway: string;
  legacy: { geoApi: string; lyceesApi: string; grc: string; grcAdmin: string; opendataApi: string };
  subgraphs: Record<'geo' | 'lycees' | 'requests' | 'insights', string>;
  processes: LaunchedProcess[];
  stop(): Promise<void>;
}

const LEGACY = [
  { name: 'geo-api', entry: 'legacy/geo/main.ts', port: 'GEO_API_PORT' },
  { name: 'lycees-api', entry: 'legacy/lycees/main.ts', port: 'LYCEES_API_PORT' },
  { name: 'grc', entry: 'legacy/grc/main.ts', port: 'GRC_PORT', admin: 'GRC_ADMIN_PORT' },
  { name: 'opendata-api', entry: 'legacy/opendata/main.ts', port: 'OPENDATA_API_PORT' },
] as const;

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const started: LaunchedProcess[] = [];
  const free = (name: string): Record<string, string> => (options.freePorts ? { [name]: '0' } : {});
  const start = async (name: string, entry: string, env: Record<string, string | undefined>) => {
    const launched = await launch({
      name,
      entry,
      env: { ...options.env, ...env },
      onLine: options.onLine ? (line) => options.onLine!(name, line) : undefined,
    });
    started.push(launched);
    return launched;
  };
  const stopAll = async () => {
    // Reverse order: the gateway first, the systems last, so nothing logs errors about its upstream going away.
    for (const process of [...started].reverse()) await process.stop();
  };

  try {
    const [geoApi, lyceesApi, grc, opendataApi] = await Promise.all(
      LEGACY.map((system) => start(system.name, system.entry, { ...free(system.port), ...('admin' in system ? free(system.admin) : {}) })),
    );
    const legacy = {
      geoApi: geoApi!.urls.http!,
      lyceesApi: lyceesApi!.urls.http!,
      grc: grc!.urls.postgres!,
      grcAdmin: grc!.urls.admin!,
      opendataApi: opendataApi!.urls.http!,
    };
    const [geo, lycees, requests, insights] = await Promise.all([
      start('geo', 'subgraphs/geo/main.ts', { ...free('GEO_SUBGRAPH_PORT'), GEO_API_URL: legacy.geoApi }),
      start('lycees', 'subgraphs/lycees/main.ts', { ...free('LYCEES_SUBGRAPH_PORT'), LYCEES_API_URL: legacy.lyceesApi }),
      start('requests', 'subgraphs/requests/main.ts', {
        ...free('REQUESTS_SUBGRAPH_PORT'), GRC_DATABASE_URL: legacy.grc, GEO_API_URL: legacy.geoApi, LYCEES_API_URL: legacy.lyceesApi,
      }),
      start('insights', 'subgraphs/insights/main.ts', { ...free('INSIGHTS_SUBGRAPH_PORT'), OPENDATA_API_URL: legacy.opendataApi }),
    ]);
    const subgraphs = {
      geo: geo.urls.graphql!,
      lycees: lycees.urls.graphql!,
      requests: requests.urls.graphql!,
      insights: insights.urls.graphql!,
    };
    const gateway = await start('gateway', 'gateway/main.ts', {
      ...free('PORT'),
      SUBGRAPH_URLS: Object.entries(subgraphs)
        .map(([name, url]) => `${name}=${url}`)
        .join(','),
    });
    return { gateway: gateway.urls.graphql!, legacy, subgraphs, processes: started, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
