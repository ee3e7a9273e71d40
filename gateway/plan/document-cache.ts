/**
 * Parsed and validated documents by query text, shared by every transport (HTTP, graphql-ws, SSE),
 * so that an operation a client sends again costs a map lookup instead of a parse and a validation.
 *
 * What a cached answer depends on, and why nothing else can change it:
 * - the text (the key) and the parse options (fixed for the cache's life: they come from the
 *   pipeline, built once);
 * - the API schema it was validated against: an entry keeps that schema, and is validated again,
 *   its parse reused, when the supergraph has changed since;
 * - the validation rules: graphql-js's `specifiedRules` and the pipeline's `validationRules` (depth,
 *   alias and root-field limits), all functions of the schema and the document alone. Nothing
 *   about the caller reaches them (a plugin that needs the caller uses `onOperation`), so a
 *   document valid for one caller is valid for all.
 * Failures are cached too (a syntax error stays one; a validation error stays one on the same
 * schema): a client repeating a broken operation costs as little as one repeating a good one.
 *
 * Bounded in entries (DOCUMENT_CACHE_SIZE) and in an estimate of the memory they hold (a parsed
 * document keeps every token of its text: about 270 bytes each, measured on graphql-js 16), least
 * recently used out first, so a caller sending ever-new texts, even of MAX_TOKENS tokens each, only
 * evicts and never grows the process past the bound.
 */
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
import type { ErrorCode } from '../../common/errors.ts';

export type CheckedDocument = { ok: true; document: DocumentNode } | { ok: false; errors: readonly GraphQLError[] };

export interface DocumentCacheOptions {
  parseOptions: ParseOptions;
  /** Every rule run on a document (`specifiedRules` first): each must depend on the schema and the document only. */
  rules: readonly ValidationRule[];
  /** Most documents kept (DOCUMENT_CACHE_SIZE); 0 parses and validates every time. */
  maxEntries: number;
  /** Most bytes (estimated) of texts and parsed documents kept over all entries. Default 64,000,000. */
  maxBytes?: number;
}

interface Entry {
  /** Parsing does not depend on the schema: kept when the supergraph changes. */
  readonly parsed: CheckedDocument;
  /** What the entry holds in memory, estimated. */
  readonly bytes: number;
  /** The schema `checked` holds for. */
  schema: GraphQLSchema | undefined;
  checked: CheckedDocument | undefined;
}

const DEFAULT_MAX_BYTES = 64_000_000;
/** Heap per token of a parsed document (its Token, its share of the AST nodes and locations), measured. */
const BYTES_PER_TOKEN = 270;
/** A syntax error: the message, its location and the source it points into (the text, counted apart). */
const BYTES_PER_SYNTAX_ERROR = 1_000;

export class DocumentCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly options: DocumentCacheOptions;
  private readonly maxBytes: number;

  constructor(options: DocumentCacheOptions) {
    this.options = options;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** `query` parsed and validated against `schema`, or why it cannot run there (catalogue codes set). */
  /** Whether `query` is known, parsed and validated against `schema` (a `check` would be a lookup). */
  isChecked(query: string, schema: GraphQLSchema): boolean {
    const entry = this.entries.get(query);
    return entry !== undefined && entry.schema === schema && entry.checked !== undefined;
  }

  check(query: string, schema: GraphQLSchema): CheckedDocument {
    let entry = this.entries.get(query);
    if (entry) {
      // Re-inserting keeps the map in least-recently-used order.
      this.entries.delete(query);
      this.entries.set(query, entry);
    } else {
      const parsed = this.parse(query);
      entry = { parsed, bytes: query.length + (parsed.ok ? BYTES_PER_TOKEN * tokenCount(parsed.document) : BYTES_PER_SYNTAX_ERROR), schema: undefined, checked: undefined };
      this.remember(query, entry);
    }
    if (entry.schema !== schema || !entry.checked) {
      entry.checked = entry.parsed.ok ? this.validate(schema, entry.parsed.document) : entry.parsed;
      entry.schema = schema;
    }
    return entry.checked;
  }

  get size(): number {
    return this.entries.size;
  }

  private parse(query: string): CheckedDocument {
    try {
      return { ok: true, document: parse(query, this.options.parseOptions) };
    } catch (error) {
      const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
      return { ok: false, errors: [withCode(syntax, 'GRAPHQL_PARSE_FAILED')] };
    }
  }

  private validate(schema: GraphQLSchema, document: DocumentNode): CheckedDocument {
    const invalid = validate(schema, document, this.options.rules);
    return invalid.length === 0 ? { ok: true, document } : { ok: false, errors: invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
  }

  private remember(query: string, entry: Entry): void {
    if (this.options.maxEntries <= 0 || entry.bytes > this.maxBytes) return;
    this.entries.set(query, entry);
    this.bytes += entry.bytes;
    for (const [oldest, { bytes }] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= bytes;
    }
  }
}

/** The tokens a parsed document keeps (its location's token list; none when parsed without locations). */
function tokenCount(document: DocumentNode): number {
  let count = 0;
  for (let token = document.loc?.startToken ?? null; token; token = token.next) count += 1;
  return count;
}

/** The error with a catalogue code, unless a rule already gave it a more precise one. */
export function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  if (typeof error.extensions.code === 'string') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
