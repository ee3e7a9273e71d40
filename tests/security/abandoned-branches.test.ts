/**
 * A subgraph survives graphql-js 16's abandoned promises (subgraphs/kit/abandoned-branches.ts):
 * found by random-operations.test.ts, where a walk over the geo subgraph past its result-size
 * limit killed the process with an unhandled rejection. Each case runs in a child process, since
 * the guard is process-wide and the test runner has its own handlers.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function runChild(body: string): { status: number | null; stderr: string } {
  const script = `
    import { buildSchema, graphql } from 'graphql';
    import { guardAbandonedBranches } from './subgraphs/kit/abandoned-branches.ts';
    import { createLogger } from './common/logger.ts';
    guardAbandonedBranches(createLogger('test', 'silent'));
    ${body}
    await new Promise((done) => setTimeout(done, 50));
    console.log('alive');
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: child.status, stderr: child.stderr + child.stdout };
}

describe('Abandoned execution branches', () => {
  it('survives a sibling that rejects after a non-null item failed (the result is the first error)', () => {
    const { status, stderr } = runChild(`
      const schema = buildSchema('type Query { items: [Item!]! } type Item { value: String! }');
      const rootValue = { items: () => [
        { value: () => new Promise((_, reject) => setTimeout(() => reject(new Error('later')), 10)) },
        { value: () => { throw new Error('now'); } },
      ] };
      const result = await graphql({ schema, source: '{ items { value } }', rootValue });
      if (result.errors?.[0]?.message !== 'now') process.exit(3);
    `);
    expect(stderr).toContain('alive');
    expect(status).toBe(0);
  });

  it('still ends the process on any other unhandled rejection', () => {
    const { status, stderr } = runChild(`Promise.reject(new Error('a real bug'));`);
    expect(stderr).toContain('a real bug');
    expect(stderr).not.toContain('alive');
    expect(status).not.toBe(0);
  });
});
