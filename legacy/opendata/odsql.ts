/**
 * A small subset of ODSQL, the Opendatasoft query language, as the Explore API v2.1 accepts it in
 * its `where`, `select`, `group_by` and `order_by` parameters. Keywords are case-insensitive;
 * fields are bare identifiers or back-quoted; strings use double or single quotes with backslash
 * escapes. Anything outside the subset is refused with an `OdsqlError`, as the platform refuses
 * anything it cannot parse, instead of being half-understood.
 *
 * Precedence, lowest first: OR, AND, NOT, then comparisons (`= != <> < <= > >=`, `IN (…)`,
 * `NOT IN (…)`, `IS [NOT] NULL`) and `search(…)`.
 */

export class OdsqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OdsqlError';
  }
}

export type Literal = string | number | boolean | null;
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type AggregateFn = 'count' | 'sum' | 'avg' | 'min' | 'max';

export type Expr =
  | { kind: 'field'; name: string }
  | { kind: 'literal'; value: Literal }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr }
  | { kind: 'in'; operand: Expr; values: Literal[]; negated: boolean }
  | { kind: 'isNull'; operand: Expr; negated: boolean }
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; operand: Expr }
  | { kind: 'search'; field: string | null; text: string }
  | { kind: 'aggregate'; fn: AggregateFn; field: string | null };

export interface SelectItem {
  expr: Expr;
  /** The key the value gets in each result: the alias, or the expression's text. */
  name: string;
}

export interface OrderItem {
  expr: Expr;
  descending: boolean;
}

type Token =
  | { type: 'ident'; value: string; quoted: boolean; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: 'punct'; value: string; at: number }
  | { type: 'end'; at: number };

const PUNCT = ['<=', '>=', '!=', '<>', '=', '<', '>', '(', ')', ',', '*', '-'];
const AGGREGATES = new Set<string>(['count', 'sum', 'avg', 'min', 'max']);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const at = i;
    if (ch === '"' || ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new OdsqlError(`Unterminated string starting at position ${at}`);
        const c = text[i]!;
        if (c === '\\') {
          if (i + 1 >= text.length) throw new OdsqlError(`Unterminated string starting at position ${at}`);
          value += text[i + 1];
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'string', value, at });
    } else if (ch === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new OdsqlError(`Unterminated back-quoted field at position ${at}`);
      tokens.push({ type: 'ident', value: text.slice(i + 1, end), quoted: true, at });
      i = end + 1;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const match = /^\d*\.?\d+(?:[eE][+-]?\d+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]), at });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ type: 'ident', value: match[0], quoted: false, at });
      i += match[0].length;
    } else {
      const punct = PUNCT.find((p) => text.startsWith(p, i));
      if (!punct) throw new OdsqlError(`Unexpected character ${JSON.stringify(ch)} at position ${at}`);
      tokens.push({ type: 'punct', value: punct === '<>' ? '!=' : punct, at });
      i += punct.length;
    }
  }
  tokens.push({ type: 'end', at: text.length });
  return tokens;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.pos++;
    return token;
  }

  private describe(token: Token): string {
    return token.type === 'end' ? 'end of expression' : `${JSON.stringify(this.text.slice(token.at, token.at + 20))} at position ${token.at}`;
  }

  private fail(expected: string): never {
    throw new OdsqlError(`Expected ${expected} but found ${this.describe(this.peek())}`);
  }

  /** True when the next token is the (unquoted, case-insensitive) keyword. */
  isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'ident' && !token.quoted && token.value.toLowerCase() === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.pos++;
    return true;
  }

  private isPunct(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'punct' && token.value === value;
  }

  private expectPunct(value: string): void {
    if (!this.isPunct(value)) this.fail(`"${value}"`);
    this.pos++;
  }

  atEnd(): boolean {
    return this.peek().type === 'end';
  }

  expectEnd(): void {
    if (!this.atEnd()) this.fail('end of expression');
  }

  acceptComma(): boolean {
    if (!this.isPunct(',')) return false;
    this.pos++;
    return true;
  }

  expression(): Expr {
    let left = this.conjunction();
    while (this.acceptKeyword('or')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }

  private conjunction(): Expr {
    let left = this.negation();
    while (this.acceptKeyword('and')) left = { kind: 'and', left, right: this.negation() };
    return left;
  }

  private negation(): Expr {
    if (this.acceptKeyword('not')) return { kind: 'not', operand: this.negation() };
    return this.predicate();
  }

  private predicate(): Expr {
    if (this.isPunct('(')) {
      this.pos++;
      const inner = this.expression();
      this.expectPunct(')');
      return inner;
    }
    if (this.isKeyword('search') && this.isPunct('(', 1)) return this.search();
    const operand = this.operand();
    const token = this.peek();
    if (token.type === 'punct' && ['=', '!=', '<', '<=', '>', '>='].includes(token.value)) {
      this.pos++;
      return { kind: 'compare', op: token.value as CompareOp, left: operand, right: this.operand() };
    }
    if (this.isKeyword('is')) {
      this.pos++;
      const negated = this.acceptKeyword('not');
      if (!this.acceptKeyword('null')) this.fail('NULL');
      return { kind: 'isNull', operand, negated };
    }
    const negated = this.isKeyword('not') && this.isKeyword('in', 1);
    if (negated) this.pos++;
    if (this.acceptKeyword('in')) return { kind: 'in', operand, values: this.literalList(), negated };
    if (operand.kind === 'literal' && typeof operand.value === 'boolean') return operand;
    // A lone string is a full-text query in ODSQL, as if written search("…").
    if (operand.kind === 'literal' && typeof operand.value === 'string') return { kind: 'search', field: null, text: operand.value };
    if (operand.kind === 'field') return { kind: 'compare', op: '=', left: operand, right: { kind: 'literal', value: true } };
    return this.fail('a comparison operator, IN or IS');
  }

  private search(): Expr {
    this.pos += 2;
    let field: string | null = null;
    if (this.peek().type === 'ident') {
      field = this.fieldName();
      this.expectPunct(',');
    }
    const text = this.next();
    if (text.type !== 'string') {
      this.pos--;
      this.fail('a string in search()');
    }
    this.expectPunct(')');
    return { kind: 'search', field, text: text.value };
  }

  private literalList(): Literal[] {
    this.expectPunct('(');
    const values: Literal[] = [];
    do {
      const value = this.operand();
      if (value.kind !== 'literal') this.fail('a literal value in the IN list');
      values.push(value.value);
    } while (this.acceptComma());
    this.expectPunct(')');
    return values;
  }

  /** A field, a literal, or (in select/order_by) an aggregate call. */
  operand(): Expr {
    const token = this.peek();
    if (token.type === 'string') {
      this.pos++;
      return { kind: 'literal', value: token.value };
    }
    if (token.type === 'number') {
      this.pos++;
      return { kind: 'literal', value: token.value };
    }
    if (token.type === 'punct' && token.value === '-') {
      this.pos++;
      const number = this.next();
      if (number.type !== 'number') {
        this.pos--;
        this.fail('a number after "-"');
      }
      return { kind: 'literal', value: -number.value };
    }
    if (token.type !== 'ident') this.fail('a field or a value');
    if (!token.quoted) {
      const word = token.value.toLowerCase();
      if (word === 'null') return this.literal(null);
      if (word === 'true') return this.literal(true);
      if (word === 'false') return this.literal(false);
      if (AGGREGATES.has(word) && this.isPunct('(', 1)) return this.aggregate(word as AggregateFn);
      if (['and', 'or', 'not', 'in', 'is', 'as', 'asc', 'desc'].includes(word)) this.fail('a field or a value');
    }
    return { kind: 'field', name: this.fieldName() };
  }

  private literal(value: Literal): Expr {
    this.pos++;
    return { kind: 'literal', value };
  }

  private aggregate(fn: AggregateFn): Expr {
    this.pos += 2;
    let field: string | null = null;
    if (this.isPunct('*')) {
      if (fn !== 'count') this.fail(`a field in ${fn}()`);
      this.pos++;
    } else {
      field = this.fieldName();
    }
    this.expectPunct(')');
    return { kind: 'aggregate', fn, field };
  }

  fieldName(): string {
    const token = this.next();
    if (token.type !== 'ident') {
      this.pos--;
      this.fail('a field name');
    }
    return token.value;
  }

  /** `AS alias`, when present. */
  alias(): string | null {
    return this.acceptKeyword('as') ? this.fieldName() : null;
  }

  direction(): boolean {
    if (this.acceptKeyword('desc')) return true;
    this.acceptKeyword('asc');
    return false;
  }
}

/** The text ODS uses as a result key for an unaliased select expression. */
export function exprName(expr: Expr): string {
  if (expr.kind === 'field') return expr.name;
  if (expr.kind === 'aggregate') return `${expr.fn}(${expr.field ?? '*'})`;
  throw new OdsqlError('Only fields and aggregates can be selected');
}

export function parseWhere(text: string): Expr {
  const parser = new Parser(text);
  const expr = parser.expression();
  parser.expectEnd();
  return expr;
}

export function parseSelect(text: string): SelectItem[] | '*' {
  const parser = new Parser(text);
  if (text.trim() === '*') return '*';
  const items: SelectItem[] = [];
  do {
    const expr = parser.operand();
    if (expr.kind !== 'field' && expr.kind !== 'aggregate') throw new OdsqlError('Only fields and aggregates can be selected');
    items.push({ expr, name: parser.alias() ?? exprName(expr) });
  } while (parser.acceptComma());
  parser.expectEnd();
  return items;
}

export function parseGroupBy(text: string): SelectItem[] {
  const parser = new Parser(text);
  const items: SelectItem[] = [];
  do {
    const name = parser.fieldName();
    items.push({ expr: { kind: 'field', name }, name: parser.alias() ?? name });
  } while (parser.acceptComma());
  parser.expectEnd();
  return items;
}

export function parseOrderBy(text: string): OrderItem[] {
  const parser = new Parser(text);
  const items: OrderItem[] = [];
  do {
    const expr = parser.operand();
    if (expr.kind !== 'field' && expr.kind !== 'aggregate') throw new OdsqlError('order_by takes fields, aliases or aggregates');
    items.push({ expr, descending: parser.direction() });
  } while (parser.acceptComma());
  parser.expectEnd();
  return items;
}
