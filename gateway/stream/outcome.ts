/**
 * The outcome of one operation on a streaming transport (graphql-ws, SSE), for `pipeline.outcome`
 * (telemetry): gathered while the operation runs, reported once when it ends — a query or mutation
 * when its result is sent, a subscription when it ends however it does, a refusal at once.
 */
import { getOperationAST } from 'graphql';
import type { OperationOutcome, Pipeline, Principal } from '../pipeline.ts';
import type { PreparedOperation } from './operations.ts';

type Coded = { extensions?: { code?: unknown } | Readonly<Record<string, unknown>> };

export class StreamOutcome {
  private readonly started = performance.now();
  private operationName: string | undefined;
  private operationType: OperationOutcome['operationType'];
  private readonly errorCodes: string[] = [];
  private reported = false;

  constructor(
    private readonly pipeline: Pick<Pipeline, 'outcome'> | undefined,
    private readonly transport: 'graphql-ws' | 'sse',
    private readonly principal: Principal,
  ) {}

  /** The name the client sent, until the document says more. */
  named(name: string | null | undefined): void {
    this.operationName = name ?? undefined;
  }

  /** The operation as prepared: its type, and its name as the document gives it (as on HTTP). */
  prepared(operation: PreparedOperation): void {
    this.operationType = operation.kind;
    this.operationName = getOperationAST(operation.document, this.operationName)?.name?.value ?? this.operationName;
  }

  /** Errors sent to the client (a refusal, a result's errors, a stream's last error). */
  errors(errors: readonly Coded[] | undefined): void {
    for (const error of errors ?? []) {
      const code = error.extensions?.code;
      this.errorCodes.push(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
    }
  }

  /** Reports the outcome; later calls do nothing. */
  report(): void {
    if (this.reported) return;
    this.reported = true;
    this.pipeline?.outcome({
      transport: this.transport,
      operationName: this.operationName,
      operationType: this.operationType,
      errorCodes: this.errorCodes,
      durationMs: performance.now() - this.started,
      principal: this.principal,
    });
  }
}
