/**
 * Trace context on SQL, the way sqlcommenter (google/sqlcommenter) carries it: a comment appended
 * to the statement, `/*traceparent='00-…-01',tracestate='…'*\/`, keys sorted, values
 * percent-encoded. The database ignores it; whoever reads the statement on the way (the GRC
 * stand-in's wire proxy, pg_stat_statements-style tooling, a database's own tracing) can link its
 * work to the caller's trace.
 */
import type { Span } from '@opentelemetry/api';
import { traceHeaders } from './index.ts';

/** `sql` with the span's trace context appended as a sqlcommenter comment. */
export function withTraceComment(sql: string, span: Span): string {
  const headers = traceHeaders(span);
  const pairs = Object.keys(headers)
    .sort()
    .map((key) => `${key}='${encodeURIComponent(headers[key]!)}'`);
  return pairs.length === 0 ? sql : `${sql} /*${pairs.join(',')}*/`;
}

const TRAILING_COMMENT = /\/\*([^*]*)\*\/\s*;?\s*$/;

/** The trace context a statement carries in a trailing sqlcommenter comment, if any. */
export function traceCarrierOf(sql: string): Record<string, string> | undefined {
  if (!sql.includes('traceparent=')) return undefined;
  const comment = TRAILING_COMMENT.exec(sql)?.[1];
  if (!comment) return undefined;
  const carrier: Record<string, string> = {};
  for (const pair of comment.split(',')) {
    const match = /^\s*([a-z]+)='([^']*)'\s*$/.exec(pair);
    if (!match) continue;
    try {
      carrier[match[1]!] = decodeURIComponent(match[2]!);
    } catch {
      // A value that is not percent-encoded is not ours: ignored.
    }
  }
  return carrier.traceparent ? carrier : undefined;
}

/** A statement's short name for span names: its leading `/* name *\/` tag (as the connectors write them), else its verb. */
export function sqlSummary(sql: string): string {
  const tagged = /^\s*\/\*\s*([^*]+?)\s*\*\//.exec(sql);
  if (tagged) return tagged[1]!;
  return /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
}
