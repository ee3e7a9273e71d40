/**
 * The processes log JSON lines (pino), right for a log collector and hard to read in a terminal.
 * `npm start` shows each as one short line: the message, its few plain fields, and for warnings and
 * errors the error's message. A warning several processes print alike (the development secrets)
 * is shown once.
 */

const LEVELS: Record<number, string> = { 10: 'trace: ', 20: 'debug: ', 30: '', 40: 'warning: ', 50: 'error: ', 60: 'fatal: ' };
/** pino's own fields, and those the launcher reports itself. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'urls', 'err']);

export interface LineFormatter {
  /** The line to print for one raw output line, or undefined to print nothing. */
  format(line: string): string | undefined;
}

export function createLineFormatter(): LineFormatter {
  const warnings = new Set<string>();
  return {
    format(line) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return line;
      }
      if (typeof record !== 'object' || record === null || typeof record.msg !== 'string') return line;
      const level = typeof record.level === 'number' ? record.level : 30;
      // "<name> ready": the launcher prints it, with the time it took.
      if (record.urls !== undefined && record.msg.endsWith(' ready')) return undefined;
      if (level === 40) {
        if (warnings.has(record.msg)) return undefined;
        warnings.add(record.msg);
      }
      const fields = Object.entries(record)
        .filter(([key, value]) => !HIDDEN.has(key) && value !== null && ['string', 'number', 'boolean'].includes(typeof value))
        .slice(0, 6)
        .map(([key, value]) => `${key}=${String(value)}`);
      const err = record.err as { message?: string } | undefined;
      const error = level >= 40 && err?.message ? ` (${err.message.split('\n')[0]})` : '';
      return `${LEVELS[level] ?? ''}${record.msg.split('\n')[0]}${error}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`;
    },
  };
}
