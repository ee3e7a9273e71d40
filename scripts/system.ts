/**
 * The whole of Passerelle on one machine: four legacy stand-ins, four subgraphs wired to them, and
 * the gateway wired to the subgraphs. `npm start` runs it on the default ports; tests run it on
 * free ports (`freePorts: true`) so that several can run side by side.
 */
import { geoSubgraphEnv, insightsSubgraphEnv, lyceesSubgraphEnv, requestsSubgraphEnv } from '../common/config.ts';
import { readEnv } from '../common/env.ts';
import { launch, type LaunchedProcess } from './launcher.ts';
import { supervise, type SuperviseOptions } from './supervisor.ts';

export interface SystemOptions {
  /** Listen on port 0 everywhere and wire processes with the ports they report. */
  freePorts?: boolean;
  /** Extra environment for every process (e.g. DATABASE_URL, LYCEES_API_LATENCY_MS=0). */
  env?: Record<string, string | undefined>;
  onLine?: (process: string, line: string) => void;
  /** Called as each process announces it is ready, with its URLs and how long it took. */
  onReady?: (process: string, urls: Record<string, string>, ms: number) => void;
  /**
   * Restart a process that exits or crashes once it has been ready, on the same ports, with
   * exponential backoff (scripts/supervisor.ts). `npm start` turns it on; tests leave it off
   * (default) unless they test it, so a process they stop or kill on purpose stays down.
   */
  supervise?: boolean | SuperviseOptions;
  /** Each supervision event as a plain line, e.g. "geo exited (code 1); restarting in 2 s (attempt 3)". */
  onSupervision?: (process: string, message: string) => void;
}

export interface RunningSystem {
  gateway: string;
  /** Every endpoint the gateway announced: graphql, websocket, health, console and explorer (CONSOLE=on). */
  gatewayUrls: Record<string, string>;
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
  /** `ports` names, for each announced URL, the variable that sets its port: a restart pins them. */
  const start = async (name: string, entry: string, env: Record<string, string | undefined>, ports: Record<string, string>) => {
    const since = performance.now();
    const run = (extra: Record<string, string> = {}) =>
      launch({
        name,
        entry,
        env: { ...options.env, ...env, ...extra },
        onLine: options.onLine ? (line) => options.onLine!(name, line) : undefined,
      });
    const first = await run();
    // The same ports as the first start (which may have been 0), so clients find it where it was.
    const pinned = Object.fromEntries(Object.entries(ports).map(([url, variable]) => [variable, new URL(first.urls[url]!).port]));
    const launched = options.supervise
      ? supervise(first, () => run(pinned), {
          ...(typeof options.supervise === 'object' ? options.supervise : {}),
          onEvent: (message) => options.onSupervision?.(name, message),
        })
      : first;
    started.push(launched);
    options.onReady?.(name, launched.urls, performance.now() - since);
    return launched;
  };
  const stopAll = async () => {
    // The gateway first, then the others in reverse order of readiness (subgraphs before their
    // systems), so nothing logs errors about its upstream going away.
    const order = [...started].reverse().sort((a, b) => Number(b.name === 'gateway') - Number(a.name === 'gateway'));
    for (const process of order) await process.stop();
  };

  // Each process starts as soon as what it needs is ready, not when a whole stage is: geo does not
  // wait for the GRC's database, nor the gateway for anything but the subgraphs' addresses.
  const [geoApi, lyceesApi, grc, opendataApi] = LEGACY.map((system) =>
    start(
      system.name,
      system.entry,
      { ...free(system.port), ...('admin' in system ? free(system.admin) : {}) },
      'admin' in system ? { postgres: system.port, admin: system.admin } : { http: system.port },
    ),
  ) as [Promise<LaunchedProcess>, Promise<LaunchedProcess>, Promise<LaunchedProcess>, Promise<LaunchedProcess>];
  const subgraph = (name: string, port: string, env: Record<string, string | undefined>) =>
    start(name, `subgraphs/${name}/main.ts`, { ...free(port), ...env }, { graphql: port });
  const geo = geoApi.then((api) => subgraph('geo', 'GEO_SUBGRAPH_PORT', { GEO_API_URL: api.urls.http }));
  const lycees = lyceesApi.then((api) => subgraph('lycees', 'LYCEES_SUBGRAPH_PORT', { LYCEES_API_URL: api.urls.http }));
  const insights = opendataApi.then((api) => subgraph('insights', 'INSIGHTS_SUBGRAPH_PORT', { OPENDATA_API_URL: api.urls.http }));
  const requests = Promise.all([grc, geoApi, lyceesApi]).then(([database, geoSystem, lyceesSystem]) =>
    subgraph('requests', 'REQUESTS_SUBGRAPH_PORT', {
      GRC_DATABASE_URL: database.urls.postgres, GEO_API_URL: geoSystem.urls.http, LYCEES_API_URL: lyceesSystem.urls.http,
    }),
  );
  const subgraphs = Promise.all([geo, lycees, requests, insights]).then(([g, l, r, i]) => ({
    geo: g.urls.graphql!,
    lycees: l.urls.graphql!,
    requests: r.urls.graphql!,
    insights: i.urls.graphql!,
  }));
  const startGateway = (urls: Record<string, string>) =>
    start(
      'gateway',
      'gateway/main.ts',
      {
        ...free('PORT'),
        SUBGRAPH_URLS: Object.entries(urls)
          .map(([name, url]) => `${name}=${url}`)
          .join(','),
      },
      { graphql: 'PORT' },
    );
  // On fixed ports the subgraphs' addresses are known before they run: the gateway starts with the
  // rest (it calls a subgraph only when a query needs it). On free ports it waits for their reports.
  const known = options.freePorts ? undefined : configuredSubgraphUrls({ ...process.env, ...options.env });
  const gateway = known ? startGateway(known) : subgraphs.then(startGateway);
  const all = [geoApi, lyceesApi, grc, opendataApi, geo, lycees, insights, requests, gateway];
  try {
    const [g, geoSystem, lyceesSystem, database, opendata] = await Promise.all([gateway, geoApi, lyceesApi, grc, opendataApi]);
    return {
      gateway: g.urls.graphql!,
      gatewayUrls: g.urls,
      legacy: {
        geoApi: geoSystem.urls.http!,
        lyceesApi: lyceesSystem.urls.http!,
        grc: database.urls.postgres!,
        grcAdmin: database.urls.admin!,
        opendataApi: opendata.urls.http!,
      },
      subgraphs: await subgraphs,
      processes: started,
      stop: stopAll,
    };
  } catch (error) {
    // Let every start that is under way finish (or fail) first, so none is left running.
    await Promise.allSettled(all);
    await stopAll();
    throw error;
  }
}

/** The URLs the subgraphs will announce on their configured ports (subgraphs/kit/server.ts); undefined if one is 0 (any free port). */
function configuredSubgraphUrls(env: Record<string, string | undefined>): Record<string, string> | undefined {
  const specs = { geo: geoSubgraphEnv, lycees: lyceesSubgraphEnv, requests: requestsSubgraphEnv, insights: insightsSubgraphEnv };
  const urls: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const { host, port } = readEnv({ host: spec.host, port: spec.port }, env);
    if (port === 0) return undefined;
    urls[name] = `http://${host}:${port}/graphql`;
  }
  return urls;
}
