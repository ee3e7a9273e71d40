/**
 * The gateway's V8 heap options (scripts/launcher.ts `GATEWAY_NODE_FLAGS`: a larger young
 * generation, a slower-growing old one) are part of how it is run, wherever it is run: the
 * launcher (`npm start`, the tests, the benchmarks), `npm run start:gateway`, the image, compose
 * and Kubernetes. A command line that forgot them would run a gateway with different memory and
 * CPU figures from those measured in bench/RESULTS.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { GATEWAY_NODE_FLAGS, launch, nodeFlagsOf, type LaunchedProcess } from '../../scripts/launcher.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

/** The node options of a command that starts the gateway: what comes between `node` and `--import`. */
function nodeOptionsOf(command: readonly string[]): string[] {
  expect(command.at(-1)).toBe('gateway/main.ts');
  return command.slice(1, command.indexOf('--import'));
}

const launched: LaunchedProcess[] = [];
afterAll(async () => {
  await Promise.all(launched.map((process) => process.stop()));
});

describe("the gateway's V8 options", () => {
  it('are on every command line that starts the gateway', () => {
    const dockerfile = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1]!;
    expect(nodeOptionsOf(JSON.parse(dockerfile) as string[])).toEqual(GATEWAY_NODE_FLAGS);

    const compose = parseDocument(read('docker-compose.yml')).toJS() as { services: Record<string, { command?: string[] }> };
    expect(nodeOptionsOf(compose.services.gateway!.command!)).toEqual(GATEWAY_NODE_FLAGS);

    const deployment = parseAllDocuments(read('deploy/k8s/gateway.yaml'))
      .map((document) => document.toJS() as { kind?: string; spec?: { template: { spec: { containers: { command: string[] }[] } } } })
      .find((document) => document.kind === 'Deployment')!;
    expect(nodeOptionsOf(deployment.spec!.template.spec.containers[0]!.command)).toEqual(GATEWAY_NODE_FLAGS);

    const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start:gateway']!;
    expect(nodeOptionsOf(script.split(' '))).toEqual(GATEWAY_NODE_FLAGS);
  });

  it('are given by the launcher to the gateway only, and a semi-space size in NODE_OPTIONS replaces its own', () => {
    expect(nodeFlagsOf('gateway/main.ts', undefined)).toEqual(GATEWAY_NODE_FLAGS);
    expect(nodeFlagsOf('subgraphs/geo/main.ts', undefined)).toEqual([]);
    expect(nodeFlagsOf('gateway/main.ts', '--max-semi-space-size=16')).toEqual(GATEWAY_NODE_FLAGS.filter((flag) => !flag.startsWith('--max-semi-space-size')));
  });

  it('are on the command line of a gateway the launcher starts', async () => {
    const gateway = await launch({ name: 'gateway', entry: 'gateway/main.ts', env: { PORT: '0', LOG_LEVEL: 'warn', SUBGRAPH_URLS: '' } });
    launched.push(gateway);
    const argv = readFileSync(`/proc/${gateway.child.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of GATEWAY_NODE_FLAGS) expect(argv).toContain(flag);
  });
});
