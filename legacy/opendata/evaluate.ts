/**
 * Runs a parsed ODSQL query over a dataset held in memory: filter (`where`), group (`group_by`),
 * aggregate and project (`select`), sort (`order_by`). Paging is the endpoint's business, since the
 * records and exports endpoints page differently.
 */
import {
  exprName,
  OdsqlError,
  parseGroupBy,
  parseOrderBy,
  parseSelect,
  parseWhere,
  type Expr,
  type Literal,
  type OrderItem,
  type SelectItem,
} from './odsql.ts';

export type Row = Record<string, Literal>;

export interface FieldSpec {
  name: string;
  type: 'text' | 'int' | 'double';
  label: string;
}

export interface QueryClauses {
  where?: string | null;
  select?: string | null;
  groupBy?: string | null;
  orderBy?: string | null;
}

type Predicate = (row: Row) => boolean;

function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

function isNumeric(value: string): boolean {
  return value.trim() !== '' && Number.isFinite(Number(value));
}

/** Brings a number and a numeric string to a common type, as ODS does for `code = 93`. */
function coerce(a: Literal, b: Literal): [Literal, Literal] {
  if (typeof a === 'number' && typeof b === 'string' && isNumeric(b)) return [a, Number(b)];
  if (typeof a === 'string' && typeof b === 'number' && isNumeric(a)) return [Number(a), b];
  return [a, b];
}

function compareOrder(a: Literal, b: Literal): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const [x, y] = coerce(a, b);
  return (x as number | string) < (y as number | string) ? -1 : 1;
}

class Compiler {
  constructor(
    private readonly fields: Map<string, FieldSpec>,
    private readonly textFields: string[],
  ) {}

  field(name: string): FieldSpec {
    const spec = this.fields.get(name);
    if (!spec) throw new OdsqlError(`Unknown field: ${name}`);
    return spec;
  }

  value(expr: Expr): (row: Row) => Literal {
    if (expr.kind === 'literal') return () => expr.value;
    if (expr.kind === 'field') {
      const { name } = this.field(expr.name);
      return (row) => row[name] ?? null;
    }
    if (expr.kind === 'aggregate') throw new OdsqlError('Aggregations are not allowed in where');
    const predicate = this.predicate(expr);
    return (row) => predicate(row);
  }

  predicate(expr: Expr): Predicate {
    switch (expr.kind) {
      case 'and': {
        const [l, r] = [this.predicate(expr.left), this.predicate(expr.right)];
        return (row) => l(row) && r(row);
      }
      case 'or': {
        const [l, r] = [this.predicate(expr.left), this.predicate(expr.right)];
        return (row) => l(row) || r(row);
      }
      case 'not': {
        const inner = this.predicate(expr.operand);
        return (row) => !inner(row);
      }
      case 'isNull': {
        const value = this.value(expr.operand);
        return (row) => (value(row) === null) !== expr.negated;
      }
      case 'in': {
        const value = this.value(expr.operand);
        const strings = new Set(expr.values.filter((v): v is string => typeof v === 'string'));
        const numbers = new Set(expr.values.filter((v): v is number => typeof v === 'number'));
        const hasNull = expr.values.includes(null);
        const member = (v: Literal): boolean => {
          if (v === null) return hasNull;
          if (typeof v === 'string') return strings.has(v) || (numbers.size > 0 && isNumeric(v) && numbers.has(Number(v)));
          if (typeof v === 'number') return numbers.has(v) || strings.has(String(v));
          return false;
        };
        return (row) => member(value(row)) !== expr.negated;
      }
      case 'compare': {
        const [left, right] = [this.value(expr.left), this.value(expr.right)];
        const { op } = expr;
        return (row) => {
          const [a, b] = coerce(left(row), right(row));
          if (op === '=') return a === b;
          if (op === '!=') return a !== b;
          if (a === null || b === null) return false;
          const order = compareOrder(a, b);
          return op === '<' ? order < 0 : op === '<=' ? order <= 0 : op === '>' ? order > 0 : order >= 0;
        };
      }
      case 'search': {
        const names = expr.field === null ? this.textFields : [this.field(expr.field).name];
        const needle = fold(expr.text);
        return (row) => names.some((name) => typeof row[name] === 'string' && fold(row[name] as string).includes(needle));
      }
      case 'field':
      case 'literal': {
        const value = this.value(expr);
        return (row) => value(row) === true;
      }
      case 'aggregate':
        throw new OdsqlError('Aggregations are not allowed in where');
    }
  }

  aggregate(item: SelectItem): (rows: Row[]) => Literal {
    const expr = item.expr;
    if (expr.kind !== 'aggregate') throw new OdsqlError(`${item.name} is not an aggregation`);
    if (expr.field === null) return (rows) => rows.length;
    const spec = this.field(expr.field);
    if (expr.fn === 'count') return (rows) => rows.filter((r) => r[spec.name] != null).length;
    if ((expr.fn === 'sum' || expr.fn === 'avg') && spec.type === 'text') {
      throw new OdsqlError(`${expr.fn}() needs a numeric field, ${spec.name} is text`);
    }
    return (rows) => {
      const values = rows.map((r) => r[spec.name] ?? null).filter((v) => v !== null);
      if (values.length === 0) return null;
      if (expr.fn === 'min') return values.reduce((m, v) => (compareOrder(v, m) < 0 ? v : m));
      if (expr.fn === 'max') return values.reduce((m, v) => (compareOrder(v, m) > 0 ? v : m));
      const sum = values.reduce<number>((s, v) => s + Number(v), 0);
      return expr.fn === 'sum' ? sum : sum / values.length;
    };
  }
}

function sortRows(rows: Row[], keys: { key: (row: Row) => Literal; descending: boolean }[]): Row[] {
  if (keys.length === 0) return rows;
  return rows.sort((a, b) => {
    for (const { key, descending } of keys) {
      const order = compareOrder(key(a), key(b));
      if (order !== 0) return descending ? -order : order;
    }
    return 0;
  });
}

/** Runs the clauses over `rows` and returns every resulting row (or group), unpaged. */
export function runQuery(rows: readonly Row[], fields: readonly FieldSpec[], clauses: QueryClauses): Row[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const compiler = new Compiler(byName, fields.filter((f) => f.type === 'text').map((f) => f.name));
  const filter = clauses.where?.trim() ? compiler.predicate(parseWhere(clauses.where)) : null;
  const select = clauses.select?.trim() ? parseSelect(clauses.select) : '*';
  const groupBy = clauses.groupBy?.trim() ? parseGroupBy(clauses.groupBy) : [];
  const orderBy = clauses.orderBy?.trim() ? parseOrderBy(clauses.orderBy) : [];
  const matching = filter ? rows.filter(filter) : rows.slice();

  const aggregated = groupBy.length > 0 || (select !== '*' && select.some((item) => item.expr.kind === 'aggregate'));
  if (!aggregated) return plainQuery(matching, compiler, select, orderBy);
  if (select === '*') throw new OdsqlError('select * cannot be used with group_by');
  return groupedQuery(matching, compiler, select, groupBy, orderBy);
}

function plainQuery(rows: Row[], compiler: Compiler, select: SelectItem[] | '*', orderBy: OrderItem[]): Row[] {
  const items = select === '*' ? null : select;
  items?.forEach((item) => compiler.field(exprName(item.expr)));
  const keys = orderBy.map(({ expr, descending }) => {
    if (expr.kind === 'aggregate') throw new OdsqlError('order_by cannot use an aggregation without group_by');
    const name = exprName(expr);
    // An alias of the select clause sorts by the field it names.
    const aliased = items?.find((item) => item.name === name);
    const field = compiler.field(aliased ? exprName(aliased.expr) : name).name;
    return { key: (row: Row) => row[field] ?? null, descending };
  });
  const sorted = sortRows(rows, keys);
  if (!items) return sorted;
  return sorted.map((row) => Object.fromEntries(items.map((item) => [item.name, row[exprName(item.expr)] ?? null])));
}

function groupedQuery(rows: Row[], compiler: Compiler, select: SelectItem[], groupBy: SelectItem[], orderBy: OrderItem[]): Row[] {
  const groupFields = groupBy.map((item) => compiler.field(exprName(item.expr)).name);
  const columns = select.map((item) => {
    if (item.expr.kind === 'aggregate') return { name: item.name, compute: compiler.aggregate(item) };
    const field = compiler.field(exprName(item.expr)).name;
    const index = groupFields.indexOf(field);
    if (index < 0) throw new OdsqlError(`${field} must be in group_by to be selected with aggregations`);
    return { name: item.name, compute: (groupRows: Row[]) => groupRows[0]![field] ?? null };
  });

  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = JSON.stringify(groupFields.map((f) => row[f] ?? null));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
  }
  // Without group_by, an aggregation of no rows still yields one row (count 0), as in SQL.
  if (groupFields.length === 0 && groups.size === 0) groups.set('[]', []);

  const out = [...groups.values()].map((groupRows) => {
    const result: Row = {};
    groupBy.forEach((item, i) => (result[item.name] = groupRows[0]?.[groupFields[i]!] ?? null));
    for (const column of columns) result[column.name] = column.compute(groupRows);
    return result;
  });

  const keys = orderBy.length
    ? orderBy.map(({ expr, descending }) => {
        const name = exprName(expr);
        const known = columns.some((c) => c.name === name) || groupBy.some((g) => g.name === name);
        if (!known) throw new OdsqlError(`order_by ${name} must be selected or grouped by`);
        return { key: (row: Row) => row[name] ?? null, descending };
      })
    : groupBy.map((g) => ({ key: (row: Row) => row[g.name] ?? null, descending: false }));
  return sortRows(out, keys);
}
