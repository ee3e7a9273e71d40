/**
 * The README's first ten minutes, as a newcomer lives them: every ```bash block runs, in order, in
 * one shell, against a system started on free ports (the README's 127.0.0.1:4000 and :5433 are
 * replaced by its addresses), and each prints what the README says it prints. A block marked
 * `<!-- example: skip (why) -->` is not run (npm start, installs, docker). The README's links
 * stay inside the repository.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { runExamples, shellExamples, substitute, type ExampleRun } from './readme-examples.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
const examples = shellExamples(README);
const runnable = examples.filter((example) => !example.skip);

/** What a block prints, recognised by a piece of its text. Every block also prints no GraphQL error. */
const EXPECTED: { in: string; output: (text: string) => void }[] = [
  { in: 'departement(code:$dep)', output: (text) => expect(text).toMatch(/"investedEur":\d+/) },
  { in: 'readme-workflow-0001', output: (text) => expect(text).toMatch(/"status":"QUALIFIED"/) },
  {
    in: 'readme-tracking-0001',
    output: (text) => {
      expect(text).toMatch(/"reference":"IDF-\d{4}-\d{6}","status":"NEW"/);
      expect(text).toMatch(/"trackingToken":"ey/);
      expect(text).toMatch(/#\/suivre\/IDF-\d{4}-\d{6}\?token=ey/);
    },
  },
  { in: '> track.log', output: (text) => expect(text).toMatch(/Connected to ws:\/\/127\.0\.0\.1:\d+\/graphql/) },
  { in: 'UPDATE t_demande', output: (text) => expect(text).toContain('UPDATE 1') },
  { in: 'status: IN_PROGRESS', output: (text) => expect(text).toContain('"status":"IN_PROGRESS"') },
  {
    in: '--after "$CURSOR"',
    output: (text) => {
      // Exactly the change made while it was away: the message once, no earlier status again.
      expect(text.split('La desserte du dimanche est à l’étude').length - 1).toBe(1);
      expect(text).not.toContain('QUALIFIED');
    },
  },
];

let system: TestSystem;
let run: ExampleRun;
const trackLog = resolve(ROOT, 'track.log');

beforeAll(async () => {
  system = await startTestSystem({ RATE_LIMIT_ANONYMOUS: '100000' });
  const addresses = { gatewayBase: system.gateway.replace(/\/graphql$/, ''), grc: system.legacy.grc };
  run = await runExamples(
    runnable.map((example) => substitute(example.code, addresses)),
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'development' }, timeoutMs: 150_000 },
  );
}, 300_000);

afterAll(async () => {
  rmSync(trackLog, { force: true });
  await system?.stop();
});

describe("The README's shell examples", () => {
  it('finds the examples, and runs the ones not marked skip (psql is needed, as the README says)', () => {
    expect(spawnSync('psql', ['--version']).status, 'psql (Debian postgresql-client) is not installed').toBe(0);
    expect(runnable.length).toBeGreaterThanOrEqual(7);
    expect(examples.filter((example) => example.skip).every((example) => /npm (install|start)|docker|\.env/.test(example.code))).toBe(true);
  });

  it('runs every block to the end, each command succeeding, with no GraphQL error', () => {
    const unfinished = runnable.findIndex((_, i) => run.outputs[i] === undefined);
    expect(unfinished === -1 ? undefined : `README line ${runnable[unfinished]!.line}:\n${run.transcript}`).toBeUndefined();
    expect(run.status, run.transcript).toBe(0);
    for (const [i, output] of run.outputs.entries()) expect(output, `README line ${runnable[i]!.line}`).not.toContain('"errors"');
  });

  it('prints in each block what the README says', () => {
    for (const expectation of EXPECTED) {
      const index = runnable.findIndex((example) => example.code.includes(expectation.in));
      expect(index, `no README block contains ${expectation.in}`).toBeGreaterThanOrEqual(0);
      expectation.output(run.outputs[index] ?? '');
    }
  });

  it('shows the tracker each change live: the back office one, then the agent one', () => {
    const log = existsSync(trackLog) ? readFileSync(trackLog, 'utf8') : '';
    expect(log).toMatch(/QUALIFIED[\s\S]*IN_PROGRESS/);
  });

  it('hard-codes no request reference in a command, and links only to files of the repository', () => {
    for (const example of runnable) {
      const commands = example.code.split('\n').filter((line) => !line.trim().startsWith('#'));
      expect(commands.join('\n'), `README line ${example.line}`).not.toMatch(/IDF-\d{4}-\d{6}/);
    }
    const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((link) => !/^(https?:|#|mailto:)/.test(link));
    for (const link of links) {
      expect(link, 'a link outside the repository').not.toMatch(/^\.\.\//);
      expect(existsSync(resolve(ROOT, link.split('#')[0]!)), link).toBe(true);
    }
  });
});
