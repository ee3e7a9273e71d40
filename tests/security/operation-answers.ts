/**
 * Sends a generated operation over one transport (HTTP POST or GET, SSE, graphql-ws) and checks
 * that whatever comes back is a well-formed GraphQL answer (random-operations.test.ts):
 * - the HTTP status is one the catalogue gives for the codes of the answer, never 500; 502/504
 *   only as GATEWAY_TIMEOUT naming a subgraph (load on a shared machine is not the operation's
 *   fault); SUBGRAPH_UNAVAILABLE, SUBGRAPH_ERROR and LEGACY_* are failures, since the stand-ins run
 *   without faults: a subgraph answering them to bad input is issue 7's "wrong codes" (11);
 * - the body is JSON with `data` and/or a non-empty `errors`;
 * - every error has a message and a string `extensions.code` from common/errors.ts, never
 *   INTERNAL_SERVER_ERROR, and no message carries a stack trace or "[object Object]";
 * - a 429 carries Retry-After.
 * Problems are returned, not thrown, so one run reports every failing operation with its seed.
 */
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { errorCatalogue } from '../../common/errors.ts';
import { wsUrl } from '../harness/streams.ts';
import type { GeneratedOperation } from './operation-generator.ts';

export type Transport = 'post' | 'get' | 'sse' | 'ws';

/** Statuses a well-formed refusal or answer may have (the catalogue's, without 500/502/503). */
const STATUSES = new Set([200, 400, 401, 403, 405, 409, 413, 429, 431]);
/** Codes that mean load, not a mishandled input: tolerated, with the subgraph named. */
const LOAD_CODES = new Set(['GATEWAY_TIMEOUT']);
/** A stack frame (`at fn (file.ts:12:3)`) or a path into the sources. */
const STACK = /\n\s+at\s|\bat\s+\S+\s+\(\S+:\d+:\d+\)|node_modules\/|\/work\/|file:\/\//;

export interface Answer {
  transport: Transport;
  status: number;
  problems: string[];
  codes: string[];
}

/** The problems of one execution result (`{ data, errors }`), whatever carried it. */
export function resultProblems(body: unknown): { problems: string[]; codes: string[] } {
  const problems: string[] = [];
  const codes: string[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { problems: [`the body is not a JSON object: ${JSON.stringify(body)?.slice(0, 200)}`], codes };
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (data === undefined && errors === undefined) problems.push('the body has neither data nor errors');
  if (errors !== undefined && (!Array.isArray(errors) || errors.length === 0)) problems.push('errors is not a non-empty list');
  for (const error of Array.isArray(errors) ? (errors as unknown[]) : []) {
    const { message, extensions } = (error ?? {}) as { message?: unknown; extensions?: Record<string, unknown> };
    const code = extensions?.code;
    if (typeof code === 'string') codes.push(code);
    if (typeof message !== 'string') problems.push(`an error without a message: ${JSON.stringify(error).slice(0, 200)}`);
    if (typeof code !== 'string') problems.push(`an error without a code: ${JSON.stringify(error).slice(0, 300)}`);
    else if (!(code in errorCatalogue)) problems.push(`code ${code} is not in the catalogue: ${String(message).slice(0, 200)}`);
    else if (code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR: ${String(message).slice(0, 300)}`);
    else if (code === 'SUBGRAPH_UNAVAILABLE' || code === 'SUBGRAPH_ERROR' || code.startsWith('LEGACY_')) problems.push(`${code} with healthy stand-ins (bad input mis-coded?): ${String(message).slice(0, 300)}`);
    else if (LOAD_CODES.has(code) && typeof extensions?.subgraph !== 'string') problems.push(`${code} names no subgraph`);
    const text = typeof message === 'string' ? message : '';
    if (STACK.test(text) || 'stacktrace' in (extensions ?? {}) || 'exception' in (extensions ?? {})) problems.push(`a stack trace leaks: ${text.slice(0, 300)}`);
    if (text.includes('[object Object]')) problems.push(`"[object Object]" in a message: ${text.slice(0, 300)}`);
    if (/internal server error/i.test(text)) problems.push(`"Internal server error" in a message: ${text.slice(0, 300)}`);
  }
  return { problems, codes };
}

function httpProblems(status: number, headers: Headers, text: string): { problems: string[]; codes: string[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problems: [`HTTP ${status}, not JSON: ${text.slice(0, 300)}`], codes: [] };
  }
  const { problems, codes } = resultProblems(body);
  const upstream = status === 502 || status === 504;
  if (!STATUSES.has(status) && !(upstream && codes.length > 0 && codes.every((code) => LOAD_CODES.has(code)))) problems.push(`HTTP ${status} (codes ${codes.join(',') || 'none'})`);
  if (status === 429 && !headers.get('retry-after')) problems.push('HTTP 429 without Retry-After');
  if (status !== 200 && codes.length === 0) problems.push(`HTTP ${status} without a coded error`);
  return { problems, codes };
}

export interface Send {
  gatewayUrl: string;
  operation: GeneratedOperation;
  headers: Record<string, string>;
  /** graphql-ws connectionParams for the same caller. */
  connectionParams: Record<string, string>;
}

export async function send(transport: Transport, request: Send): Promise<Answer> {
  const { gatewayUrl, operation, headers } = request;
  const payload = operation.rawBody ?? JSON.stringify({ query: operation.query, variables: operation.variables, operationName: operation.operationName });
  if (transport === 'ws') return overWebSocket(request);
  if (transport === 'get') {
    const url = new URL(gatewayUrl);
    url.searchParams.set('query', operation.query);
    if (operation.variables) url.searchParams.set('variables', JSON.stringify(operation.variables));
    if (operation.operationName !== undefined) url.searchParams.set('operationName', operation.operationName);
    const response = await fetch(url, { headers: { ...headers, 'apollo-require-preflight': '1' } });
    const text = await response.text();
    return { transport, status: response.status, ...httpProblems(response.status, response.headers, text) };
  }
  const accept = transport === 'sse' ? 'text/event-stream' : 'application/json';
  const controller = new AbortController();
  // A subscription over SSE stays open: half a second of it is enough to see it start (or be refused).
  const timer = setTimeout(() => controller.abort(), transport === 'sse' && operation.kind === 'subscription' ? 500 : 30_000);
  try {
    const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept, ...headers }, body: payload, signal: controller.signal });
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      return { transport, status: response.status, ...httpProblems(response.status, response.headers, await response.text()) };
    }
    return { transport, status: response.status, ...sseProblems(await readUntilAbort(response)) };
  } finally {
    clearTimeout(timer);
  }
}

async function readUntilAbort(response: Response): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  }
  return text;
}

/** Every `next` event's data is an execution result. */
function sseProblems(stream: string): { problems: string[]; codes: string[] } {
  const problems: string[] = [];
  const codes: string[] = [];
  for (const block of stream.split('\n\n')) {
    const event = /^event: *(.*)$/m.exec(block)?.[1];
    const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
    if (event !== 'next' || data === '') continue;
    try {
      const checked = resultProblems(JSON.parse(data));
      problems.push(...checked.problems);
      codes.push(...checked.codes);
    } catch {
      problems.push(`an SSE event that is not JSON: ${data.slice(0, 200)}`);
    }
  }
  return { problems, codes };
}

/** graphql-ws close codes a refusal may use; 4500 (internal error) and 1011 are failures. */
const CLOSE_CODES = new Set([1000, 1001, 1005, 4400, 4401, 4403, 4409, 4429, 4029]);

async function overWebSocket({ gatewayUrl, operation, connectionParams }: Send): Promise<Answer> {
  const problems: string[] = [];
  const codes: string[] = [];
  const client = createClient({ url: wsUrl(gatewayUrl), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, lazyCloseTimeout: 0, connectionParams });
  const subscription = operation.kind === 'subscription';
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => done(), subscription ? 500 : 30_000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    client.subscribe<Record<string, unknown>>({ query: operation.query, variables: operation.variables, operationName: operation.operationName }, {
      next: (result) => {
        const checked = resultProblems(result);
        problems.push(...checked.problems);
        codes.push(...checked.codes);
      },
      error: (error) => {
        if (Array.isArray(error)) {
          const checked = resultProblems({ errors: error });
          problems.push(...checked.problems);
          codes.push(...checked.codes);
        } else if (error && typeof error === 'object' && 'code' in error) {
          const { code, reason } = error as { code: number; reason?: string };
          if (!CLOSE_CODES.has(code)) problems.push(`socket closed with ${code} ${reason ?? ''}`);
          if (reason && STACK.test(reason)) problems.push(`a stack trace in a close reason: ${reason.slice(0, 200)}`);
        } else problems.push(`graphql-ws error: ${String(error).slice(0, 200)}`);
        done();
      },
      complete: done,
    });
  });
  await client.dispose();
  return { transport: 'ws', status: 200, problems, codes };
}
