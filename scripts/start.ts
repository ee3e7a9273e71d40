/**
 * `npm start`: the whole system on its embedded defaults (PGlite for the GRC database unless
 * DATABASE_URL is set; in-process events unless REDIS_URL is set), the web console built if it is
 * missing or stale, one readable line per step, then where every page is. Ctrl-C stops everything.
 * A process that exits or crashes is restarted (scripts/supervisor.ts); none outlives this one.
 */
import { ensureConsoleBuilt } from './console-build.ts';
import { createLineFormatter } from './log-lines.ts';
import { startSystem } from './system.ts';

const started = performance.now();
const width = 12;
const print = (name: string, line: string) => process.stdout.write(`${name.padEnd(width)}| ${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const formatter = createLineFormatter();

print('passerelle', 'starting 4 legacy stand-ins, 4 subgraphs and the gateway…');
// Built beside the processes' start: the gateway reads the files per request, so it needs no restart.
const consoleBuild =
  process.env.CONSOLE === 'off'
    ? Promise.resolve('skipped' as const)
    : ensureConsoleBuilt({ log: (line) => print('console', line.replace(/^console: /, '')) }).catch((error: unknown) => {
        print('console', `the build failed, the API works without it: ${(error as Error).message}`);
        return 'failed' as const;
      });

const system = await startSystem({
  onLine: (name, line) => {
    const text = formatter.format(line);
    if (text !== undefined) print(name, text);
  },
  onReady: (name, _urls, ms) => print(name, `${name} ready (${seconds(ms)})`),
  // A process that exits or crashes is restarted on its ports, with backoff, and says so here.
  supervise: true,
  onSupervision: (name, message) => print(name, message),
}).catch((error: unknown) => {
  console.error(`Passerelle could not start:\n${(error as Error).message}`);
  process.exit(1);
});
const consoleState = await consoleBuild;

const urls = system.gatewayUrls;
const base = urls.graphql!.replace(/\/graphql$/, '');
const production = process.env.NODE_ENV === 'production';
const consoleLines =
  urls.console && consoleState !== 'skipped' && consoleState !== 'failed'
    ? `  Console: Déposer une demande  ${base}/#/deposer
  Console: Suivre ma demande    ${base}/#/suivre  (the page Déposer links to, token in the link)
  Console: Impact               ${base}/#/impact
  Console: File d'attente       ${base}/#/file  (agents: paste a token from \`npm run token -- --agent AG0001\`)
  Explorer (GraphiQL)           ${urls.explorer}
`
    : `  Console                       not served (${urls.console ? 'not built: `npm run build:console`' : 'CONSOLE=off'})
`;
console.log(`
Passerelle is ready in ${seconds(performance.now() - started)}${production ? ', in PRODUCTION mode.' : `, in DEVELOPMENT mode: embedded defaults and development
secrets (AUTH_SECRET, GATEWAY_SECRET), introspection on — fine on this machine, never for real users
(NODE_ENV=production refuses every such default).`}
${consoleLines}  GraphQL over HTTP             ${urls.graphql}  (POST, Content-Type: application/json)
  GraphQL over WebSocket        ${urls.websocket}  (graphql-ws; SSE: POST with Accept: text/event-stream)
  Health                        ${urls.health}  and ${urls.health}/subgraphs
  Subgraphs                     ${Object.entries(system.subgraphs).map(([n, u]) => `${n} ${u}`).join('\n                                ')}
  Geo API stand-in              ${system.legacy.geoApi}
  Lycées API stand-in           ${system.legacy.lyceesApi}
  GRC database (PostgreSQL)     ${system.legacy.grc}
  Open data API stand-in        ${system.legacy.opendataApi}
Press Ctrl-C to stop.
`);

let stopping = false;
const shutdown = () => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log('\nStopping Passerelle…');
  system.stop().then(() => process.exit(0));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, shutdown);
// `npm start` runs this under npm and tsx: if our parent is killed (SIGKILL, so it relays
// nothing), we are re-parented; stop in order rather than run on unseen. The children themselves
// die with this process whatever kills it (scripts/launcher.ts).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent && !stopping) shutdown();
}, 1_000).unref();
