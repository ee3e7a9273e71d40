/**
 * Every subgraph's own limits (subgraphs/kit/limits.ts), for a caller that reaches it directly with
 * a valid gateway identity: body size (413), depth, result size (RESPONSE_TOO_LARGE), and
 * cancellation — an abandoned amplifying query stops building its answer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { IDENTITY_HEADER, identityKey, signIdentity } from '../../common/identity.ts';
import { startSubgraph, type RunningSubgraph, type SubgraphLimits } from '../../subgraphs/kit/index.ts';

const SECRET = 'subgraph-limits-test-secret-0123456789abcdef';
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { tree(fanOut: Int!, delayMs: Int): Node! }
type Node { id: Int! children: [Node!]! }`;

interface TreeNode {
  id: number;
  fanOut: number;
  delayMs: number;
}

let resolvedChildren = 0;
const dir = mkdtempSync(join(tmpdir(), 'passerelle-limits-'));
writeFileSync(join(dir, 'tree.graphql'), SDL);

/** A subgraph whose `children` fan out: `tree(fanOut: 10) { children { children { … } } }` amplifies. */
function startTree(limits: SubgraphLimits): Promise<RunningSubgraph> {
  return startSubgraph({
    name: 'tree',
    schemaPath: join(dir, 'tree.graphql'),
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('tree', 'silent'),
    gatewaySecret: SECRET,
    limits,
    createContext: () => ({}),
    resolvers: {
      Query: { tree: (_: unknown, args: { fanOut: number; delayMs?: number }) => ({ id: 0, fanOut: args.fanOut, delayMs: args.delayMs ?? 0 }) },
      Node: {
        children: async (node: TreeNode) => {
          resolvedChildren += 1;
          if (node.delayMs) await new Promise((resolve) => setTimeout(resolve, node.delayMs));
          return Array.from({ length: node.fanOut }, (_, index) => ({ ...node, id: node.id * node.fanOut + index + 1 }));
        },
      },
    },
  });
}

const identity = () => signIdentity(identityKey(SECRET), { id: 'anonymous', kind: 'anonymous', scopes: [] }).token;

async function post(url: string, body: string, signal?: AbortSignal) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity() }, body, signal });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

/** `tree { children { … { id } } }`, `levels` fields deep (the leaf `id` counts). */
const nested = (levels: number) => `{ tree(fanOut: 2) { ${'children { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;

describe('Body size, depth and result size', () => {
  const limits: SubgraphLimits = { maxBodyBytes: 300, maxDepth: 5, maxResultObjects: 16 };
  let tree: RunningSubgraph;
  beforeAll(async () => {
    tree = await startTree(limits);
  });
  afterAll(() => tree?.close());

  const bodyOfSize = (size: number) => {
    const base = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
    return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(size - base.length) } });
  };

  it('accepts a body of exactly SUBGRAPH_MAX_BODY_BYTES and refuses one byte more with 413', async () => {
    expect((await post(tree.url, bodyOfSize(300))).status).toBe(200);
    const refused = await post(tree.url, bodyOfSize(301));
    expect(refused.status).toBe(413);
    expect(refused.body.errors![0]!.extensions!.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('accepts SUBGRAPH_MAX_DEPTH levels and refuses one more with MAX_DEPTH_EXCEEDED', async () => {
    expect((await post(tree.url, JSON.stringify({ query: nested(5) }))).body.errors).toBeUndefined();
    const refused = await post(tree.url, JSON.stringify({ query: nested(6) }));
    expect(refused.body.errors!.map((error) => error.extensions?.code)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });

  it('resolves SUBGRAPH_MAX_RESULT_OBJECTS fields and fails the request with RESPONSE_TOO_LARGE past them', async () => {
    // Fields resolved: tree 1, `children` of 1 + 2 + 4 nodes, `id` of the 8 leaves = 16.
    const within = '{ tree(fanOut: 2) { children { children { children { id } } } } }';
    expect((await post(tree.url, JSON.stringify({ query: within }))).body.errors).toBeUndefined();
    // `tree { id }` too: 17.
    const over = '{ tree(fanOut: 2) { id children { children { children { id } } } } }';
    const refused = await post(tree.url, JSON.stringify({ query: over }));
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors!.map((error) => error.extensions?.code)).toEqual(['RESPONSE_TOO_LARGE']);
  });
});

describe('Cancellation', () => {
  let tree: RunningSubgraph;
  beforeAll(async () => {
    tree = await startTree({ maxBodyBytes: 10_000, maxDepth: 20, maxResultObjects: 10_000_000 });
  });
  afterAll(() => tree?.close());

  it('stops building an amplifying answer when its caller disconnects', async () => {
    // 3^12 (531,441) leaves if it ran to the end, 50 ms per level.
    const query = `{ tree(fanOut: 3, delayMs: 50) { ${'children { '.repeat(12)}id${' }'.repeat(12)} } }`;
    resolvedChildren = 0;
    const caller = new AbortController();
    const pending = post(tree.url, JSON.stringify({ query }), caller.signal).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    caller.abort();
    await pending;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const atStop = resolvedChildren;
    expect(atStop).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Fields already waiting finish their one step; no new level starts.
    expect(resolvedChildren).toBe(atStop);
    expect(atStop).toBeLessThan(3 ** 6);
  });
});
