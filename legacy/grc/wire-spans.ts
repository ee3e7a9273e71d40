/**
 * Server spans of the GRC stand-in, for the queries whose SQL carries a caller's trace context as a
 * sqlcommenter comment (common/tracing/sql.ts): what a database's own tracing would show. One per
 * query message, from the proxy taking the cycle (injected latency included) to the backend's
 * ReadyForQuery ending it; an ErrorResponse or an injected failure marks it failed. Queries
 * without a comment (the back office, pollers, migrations) make none.
 *
 * One instance per proxied connection, which the backend answers in order: a cycle's spans end at
 * the ReadyForQuery that closes it, counted from the start of the connection.
 */
import type { Span } from '../../common/tracing/index.ts';
import { endSpan, startRemoteServerSpan } from '../../common/tracing/index.ts';
import { traceCarrierOf } from '../../common/tracing/sql.ts';
import { callLabel, type WireMessage } from './wire-protocol.ts';

interface Pending {
  span: Span;
  /** The ReadyForQuery (counted from the connection's start) that ends it. */
  endsAt: number;
  error?: Error;
}

export class QuerySpans {
  private pending: Pending[] = [];
  /** ReadyForQuery messages the cycles forwarded so far will bring. */
  private expected = 0;
  /** ReadyForQuery messages received. */
  private received = 0;

  /** Spans for the traced SQL of a cycle the proxy is taking up. */
  start(sqls: readonly string[] | undefined): Span[] | undefined {
    if (!sqls) return undefined;
    const spans: Span[] = [];
    for (const sql of sqls) {
      const label = callLabel(sql);
      const span = startRemoteServerSpan(`grc ${label}`, traceCarrierOf(sql), { 'db.system.name': 'postgresql', 'db.query.summary': label });
      if (span) spans.push(span);
    }
    return spans.length > 0 ? spans : undefined;
  }

  /** The cycle went to the backend: its spans end with the ReadyForQuery that closes it. */
  sent(spans: Span[] | undefined, readies: number): void {
    this.expected += readies;
    // A Flush-ended group has no ReadyForQuery of its own: the next Sync's closes it.
    const endsAt = readies > 0 ? this.expected : this.expected + 1;
    for (const span of spans ?? []) this.pending.push({ span, endsAt });
  }

  /** The cycle never reached the backend: failed (an injected fault) or dropped. */
  settled(spans: Span[] | undefined, error?: Error): void {
    for (const span of spans ?? []) endSpan(span, error);
  }

  /** A backend message: ErrorResponse marks the oldest open span failed, ReadyForQuery ends the spans it closes. */
  backend(message: WireMessage): void {
    if (message.type === 'E') {
      const open = this.pending[0];
      if (open && !open.error) open.error = backendError(message);
      return;
    }
    if (message.type !== 'Z') return;
    this.received += 1;
    while (this.pending.length > 0 && this.pending[0]!.endsAt <= this.received) {
      const { span, error } = this.pending.shift()!;
      endSpan(span, error);
    }
  }

  /** The connection is gone: whatever is open ends now. */
  close(): void {
    for (const { span, error } of this.pending) endSpan(span, error ?? new Error('connection closed before the answer'));
    this.pending = [];
  }
}

/** An ErrorResponse's SQLSTATE and message, as an error for the span. */
function backendError(message: WireMessage): Error {
  const fields: Record<string, string> = {};
  let offset = 5;
  const bytes = message.bytes;
  while (offset < bytes.length && bytes[offset] !== 0) {
    const code = String.fromCharCode(bytes[offset]!);
    const end = bytes.indexOf(0, offset + 1);
    if (end === -1) break;
    fields[code] = bytes.toString('utf8', offset + 1, end);
    offset = end + 1;
  }
  return sqlError(fields.C ?? 'XX000', fields.M ?? 'error');
}

/** An error as the span records it: `error.type` is its SQLSTATE. */
export function sqlError(sqlstate: string, message: string): Error {
  return Object.assign(new Error(message), { code: sqlstate });
}
