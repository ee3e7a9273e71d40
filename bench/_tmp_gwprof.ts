import { writeFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { startHeavyFederation, heavyQuery, trivialQuery } from '/work/main/tests/harness/heavy-federation.ts';
const which = process.argv[2] ?? 'trivial';
const dedup = process.argv[3] ?? 'off';
const federation = await startHeavyFederation();
mkdirSync('/tmp/eng/gw', { recursive: true });
writeFileSync('/tmp/eng/gw/supergraph.graphql', federation.supergraphSdl);
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/eng/gw', '--import', 'tsx', 'gateway/main.ts'], {
  env: { ...process.env, PORT: '4990', SUPERGRAPH_PATH: '/tmp/eng/gw/supergraph.graphql', RATE_LIMIT_ANONYMOUS: '0', COST_BUDGET_ANONYMOUS: '0', LOG_LEVEL: 'warn', CONSOLE: 'off', SUBGRAPH_DEDUP: dedup, METRICS: process.env.METRICS ?? 'on' },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
await new Promise((r) => setTimeout(r, 6000));
const body = (which === 'heavy' ? heavyQuery : trivialQuery).body;
const run = (d: number) => new Promise<any>((resolve) => autocannon({ url: 'http://127.0.0.1:4990/graphql', method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 20, duration: d }, (_e: any, r: any) => resolve(r)));
await run(3);
const before = (await import('node:fs')).readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ');
const r = await run(8);
const after = (await import('node:fs')).readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ');
const ticks = (Number(after[13]) + Number(after[14])) - (Number(before[13]) + Number(before[14]));
console.log(which, 'dedup', dedup, 'req', r.requests.total, 'rps', r.requests.average, 'cpu ms/req', ((ticks * 10) / r.requests.total).toFixed(3), 'non2xx', r.non2xx);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await federation.close();
