/**
 * `npm start`: the whole system on its embedded defaults (PGlite for the GRC database unless
 * DATABASE_URL is set; in-process events unless REDIS_URL is set). Ctrl-C stops everything.
 */
import { startSystem } from './system.ts';

const width = 12;
const system = await startSystem({
  onLine: (name, line) => process.stdout.write(`${name.padEnd(width)}| ${line}\n`),
}).catch((error: unknown) => {
  console.error(`Passerelle could not start:\n${(error as Error).message}`);
  process.exit(1);
});

const production = process.env.NODE_ENV === 'production';
console.log(`
Passerelle is running${production ? ' in PRODUCTION mode.' : ` in DEVELOPMENT mode: embedded defaults and development
secrets (AUTH_SECRET, GATEWAY_SECRET), introspection on — fine on this machine, never for real users
(NODE_ENV=production refuses every such default).`}
  Gateway (GraphQL, HTTP)   ${system.gateway}
  Subscriptions (graphql-ws) ${system.gateway.replace(/^http/, 'ws')}  (SSE: POST with Accept: text/event-stream)
  Health                    ${system.gateway.replace('/graphql', '/health/subgraphs')}
  Subgraphs                 ${Object.entries(system.subgraphs).map(([n, u]) => `${n} ${u}`).join('\n                            ')}
  Geo API stand-in          ${system.legacy.geoApi}
  Lycées API stand-in       ${system.legacy.lyceesApi}
  GRC database (PostgreSQL) ${system.legacy.grc}
  Open data API stand-in    ${system.legacy.opendataApi}
Press Ctrl-C to stop.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nStopping Passerelle…');
    system.stop().then(() => process.exit(0));
  });
}
