/**
 * The audit log of the requests subgraph: one JSON object per line for every mutation and every
 * read of personal data (issue 7), to AUDIT_LOG_PATH — a file (created with its folder, appended
 * to), or `stdout`. Each line:
 *
 *   { "at": ISO instant, "who": { "subject", "kind" }, "action": mutation name | "read:personal",
 *     "references": [...], "fields": [...], "outcome": "ok" | error code }
 *
 * Lines are written through pino's asynchronous destination (sonic-boom): a request never waits on
 * the disk. A failing destination (disk full, folder not writable) is reported on the process log
 * and does not fail requests; the log then misses lines, which the warning says.
 */
import pino from 'pino';
import type { Logger } from '../../../common/logger.ts';

export interface AuditEntry {
  who: { subject: string; kind: string };
  /** The mutation's name, or `read:personal`. */
  action: string;
  references: readonly string[];
  /** Personal fields read, or the mutation's arguments that were set. */
  fields: readonly string[];
  /** `ok`, or the catalogue code the action failed with. */
  outcome: string;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** Flushes what is buffered and closes the file. */
  close(): Promise<void>;
}

/** `path`: a file path, or `stdout`. */
export function createAuditLog(path: string, logger: Logger): AuditLog {
  const destination = pino.destination({ dest: path === 'stdout' ? 1 : path, sync: false, mkdir: true, minLength: 0 });
  let failed = false;
  destination.on('error', (error: unknown) => {
    if (!failed) logger.warn({ err: error, path }, 'audit log cannot be written: audit lines are being lost');
    failed = true;
  });
  let closed = false;
  return {
    record(entry) {
      if (closed) return;
      const { who, action, references, fields, outcome } = entry;
      destination.write(`${JSON.stringify({ at: new Date().toISOString(), who, action, references, fields, outcome })}\n`);
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      if (path === 'stdout') {
        return new Promise((resolve) => destination.flush(() => resolve()));
      }
      return new Promise((resolve) => {
        destination.once('close', () => resolve());
        destination.once('error', () => resolve());
        destination.end();
      });
    },
  };
}

/** Runs a mutation and records it: its outcome is `ok` or the code it failed with. */
export async function audited<T>(log: AuditLog, who: AuditEntry['who'], action: string, references: readonly string[], fields: readonly string[], run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    log.record({ who, action, references, fields, outcome: 'ok' });
    return result;
  } catch (error) {
    const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
    log.record({ who, action, references, fields, outcome: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' });
    throw error;
  }
}
