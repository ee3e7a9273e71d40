/**
 * The README's shell examples, as a newcomer pastes them: every ```bash block, in order, in ONE
 * shell (a later block uses the variables an earlier one set, as in one terminal), against a
 * running system whose addresses replace the README's default ones.
 *
 * Convention (documented in the README's Tests section): a block is not run when the line just
 * before its fence is `<!-- example: skip (why) -->` — `npm start` itself, installs, docker.
 */
import { spawn } from 'node:child_process';

export interface ShellExample {
  /** 1-based line of the opening fence in the README. */
  line: number;
  code: string;
  skip: boolean;
}

const SKIP = /^<!--\s*example:\s*skip\b.*-->\s*$/;

export function shellExamples(readme: string): ShellExample[] {
  const lines = readme.split('\n');
  const examples: ShellExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```bash') continue;
    const end = lines.findIndex((text, j) => j > i && text.trim() === '```');
    if (end < 0) throw new Error(`README line ${i + 1}: a bash block is never closed`);
    examples.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), skip: SKIP.test(lines[i - 1]?.trim() ?? '') });
    i = end;
  }
  return examples;
}

/** The README's addresses (npm start's defaults) and those of the system under test. */
export interface Addresses {
  /** e.g. http://127.0.0.1:41234 (no path). */
  gatewayBase: string;
  /** The GRC's PostgreSQL URL. */
  grc: string;
}

export function substitute(code: string, to: Addresses): string {
  const gateway = new URL(to.gatewayBase);
  return code
    .replaceAll('postgres://postgres@127.0.0.1:5433/postgres', to.grc)
    .replaceAll('http://127.0.0.1:4000', `http://${gateway.host}`)
    .replaceAll('ws://127.0.0.1:4000', `ws://${gateway.host}`);
}

export interface ExampleRun {
  /** Output of each block that ran, by index in the list given; undefined: it did not finish. */
  outputs: (string | undefined)[];
  /** Exit status of the whole shell (0 when every command of every block succeeded). */
  status: number | null;
  /** Everything the shell printed, for the failure message. */
  transcript: string;
}

/**
 * Runs the blocks in one `bash` with `set -euo pipefail`: the first failing command stops the
 * run, and the blocks after it report no output. The shell gets its own process group, killed at
 * the end, so a block's background job (the tracker) never outlives the test.
 */
export function runExamples(blocks: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ExampleRun> {
  const script = ['set -euo pipefail', ...blocks.flatMap((code, i) => [`echo "@@begin ${i}@@"`, code, `echo "@@end ${i}@@"`])].join('\n');
  return new Promise((resolve) => {
    const shell = spawn('bash', ['-c', script], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let transcript = '';
    shell.stdout.on('data', (chunk: Buffer) => (transcript += chunk.toString('utf8')));
    shell.stderr.on('data', (chunk: Buffer) => (transcript += chunk.toString('utf8')));
    const killGroup = () => {
      try {
        process.kill(-shell.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs);
    shell.on('close', (status) => {
      clearTimeout(timer);
      killGroup();
      const outputs = blocks.map((_, i) => {
        const match = new RegExp(`@@begin ${i}@@\\n([\\s\\S]*?)@@end ${i}@@`).exec(transcript);
        return match?.[1];
      });
      resolve({ outputs, status, transcript });
    });
  });
}
