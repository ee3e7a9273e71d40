import { describe, expect, it } from 'vitest';
import { runQuery, type FieldSpec, type Row } from '../../legacy/opendata/evaluate.ts';
import { OdsqlError, parseGroupBy, parseOrderBy, parseSelect, parseWhere } from '../../legacy/opendata/odsql.ts';
import { odsqlIn, odsqlString } from '../../subgraphs/insights/connector.ts';

const fields: FieldSpec[] = [
  { name: 'code', type: 'text', label: 'Code' },
  { name: 'dep', type: 'text', label: 'Département' },
  { name: 'annee', type: 'int', label: 'Année' },
  { name: 'montant', type: 'double', label: 'Montant' },
  { name: 'libelle', type: 'text', label: 'Libellé' },
];
const rows: Row[] = [
  { code: '93001', dep: '93', annee: 2023, montant: 100, libelle: 'Plan vélo — piste' },
  { code: '93001', dep: '93', annee: 2024, montant: 250, libelle: 'Lycées numériques' },
  { code: '93066', dep: '93', annee: 2024, montant: 50, libelle: 'Rénovation énergétique' },
  { code: '77001', dep: '77', annee: 2024, montant: 400, libelle: 'Plan vélo — parc' },
  { code: '77002', dep: '77', annee: 2023, montant: 10, libelle: 'Soutien aux communes "rurales"' },
  { code: '75056', dep: null, annee: 2024, montant: 1000, libelle: 'Paris' },
];
const codes = (where: string) => runQuery(rows, fields, { where }).map((r) => r.code);

describe('Parsing', () => {
  it('binds AND tighter than OR, and NOT tighter than AND', () => {
    expect(parseWhere('a = 1 OR b = 2 AND c = 3')).toMatchObject({ kind: 'or', right: { kind: 'and' } });
    expect(parseWhere('NOT a = 1 AND b = 2')).toMatchObject({ kind: 'and', left: { kind: 'not' } });
    expect(parseWhere('(a = 1 OR b = 2) AND c = 3')).toMatchObject({ kind: 'and', left: { kind: 'or' } });
  });

  it('reads keywords case-insensitively and back-quoted fields as fields', () => {
    expect(parseWhere('x in (1, 2) and `and` is not null')).toMatchObject({
      kind: 'and',
      left: { kind: 'in', values: [1, 2], negated: false },
      right: { kind: 'isNull', operand: { kind: 'field', name: 'and' }, negated: true },
    });
  });

  it('reads strings in double or single quotes, with backslash escapes', () => {
    expect(parseWhere(String.raw`a = "say \"hi\" \\ o'k"`)).toMatchObject({ right: { value: String.raw`say "hi" \ o'k` } });
    expect(parseWhere(String.raw`a = 'l\'été'`)).toMatchObject({ right: { value: "l'été" } });
  });

  it('reads numbers, negative numbers, null and booleans', () => {
    expect(parseWhere('a > -2.5')).toMatchObject({ right: { value: -2.5 } });
    expect(parseWhere('a != null')).toMatchObject({ op: '!=', right: { value: null } });
    expect(parseWhere('a <> true')).toMatchObject({ op: '!=', right: { value: true } });
  });

  it('reads select lists with aggregates and aliases, group_by and order_by', () => {
    expect(parseSelect('dep, sum(montant) as total, count(*)')).toEqual([
      { expr: { kind: 'field', name: 'dep' }, name: 'dep' },
      { expr: { kind: 'aggregate', fn: 'sum', field: 'montant' }, name: 'total' },
      { expr: { kind: 'aggregate', fn: 'count', field: null }, name: 'count(*)' },
    ]);
    expect(parseGroupBy('dep, annee as year').map((g) => g.name)).toEqual(['dep', 'year']);
    expect(parseOrderBy('total desc, dep').map((o) => o.descending)).toEqual([true, false]);
  });

  it.each([
    ['a = ', 'a value after the operator'],
    ['a = "open', 'an unterminated string'],
    ['a = 1 AND', 'a dangling AND'],
    ['(a = 1', 'an unclosed parenthesis'],
    ['a IN 1, 2', 'an IN without parentheses'],
    ['a IN (b)', 'a field in an IN list'],
    ['a = 1 b = 2', 'two predicates without operator'],
    ['a ~ 1', 'an unknown operator'],
    ['sum(*) > 1', 'sum(*)'],
  ])('refuses %s (%s)', (where) => {
    expect(() => parseWhere(where)).toThrow(OdsqlError);
  });
});

describe('Evaluation', () => {
  it('filters with comparisons, IN, NOT IN, IS NULL and precedence', () => {
    expect(codes('annee = 2024 AND montant >= 250')).toEqual(['93001', '77001', '75056']);
    expect(codes('dep = "77" OR dep = "93" AND annee = 2023')).toEqual(['93001', '77001', '77002']);
    expect(codes('(dep = "77" OR dep = "93") AND annee = 2023')).toEqual(['93001', '77002']);
    expect(codes('code IN ("93066", "77002")')).toEqual(['93066', '77002']);
    expect(codes('NOT code IN ("93001") AND code NOT IN ("75056")')).toEqual(['93066', '77001', '77002']);
    expect(codes('dep IS NULL')).toEqual(['75056']);
    expect(codes("dep = 93 AND annee < '2024'")).toEqual(['93001']);
  });

  it('searches text accent- and case-insensitively', () => {
    expect(codes('search("plan velo")')).toEqual(['93001', '77001']);
    expect(codes('search(libelle, "LYCEES")')).toEqual(['93001']);
    expect(codes('"energetique"')).toEqual(['93066']);
  });

  it('treats an escaped injection attempt as one literal', () => {
    const attempt = '93" OR "1"="1';
    expect(odsqlString(attempt)).toBe(String.raw`"93\" OR \"1\"=\"1"`);
    expect(codes(`dep = ${odsqlString(attempt)}`)).toEqual([]);
    // The same value pasted unescaped would have matched every record.
    expect(codes(`dep = "${attempt}"`)).toHaveLength(rows.length);
    expect(codes(`libelle = ${odsqlString('Soutien aux communes "rurales"')}`)).toEqual(['77002']);
    expect(codes(`code IN (${odsqlString('x\\')}, "93066")`)).toEqual(['93066']);
    expect(odsqlIn('code', ['a"b', 2024])).toBe(String.raw`code IN ("a\"b",2024)`);
  });

  it('groups and aggregates, ordering groups by value unless told otherwise', () => {
    expect(runQuery(rows, fields, { select: 'dep, sum(montant) as total, count(*) as n, avg(montant), max(annee)', groupBy: 'dep' })).toEqual([
      { dep: null, total: 1000, n: 1, 'avg(montant)': 1000, 'max(annee)': 2024 },
      { dep: '77', total: 410, n: 2, 'avg(montant)': 205, 'max(annee)': 2024 },
      { dep: '93', total: 400, n: 3, 'avg(montant)': 400 / 3, 'max(annee)': 2024 },
    ]);
    expect(runQuery(rows, fields, { select: 'dep, annee, sum(montant) as total', groupBy: 'dep, annee', where: 'dep IS NOT NULL', orderBy: 'total desc' })).toEqual([
      { dep: '77', annee: 2024, total: 400 },
      { dep: '93', annee: 2024, total: 300 },
      { dep: '93', annee: 2023, total: 100 },
      { dep: '77', annee: 2023, total: 10 },
    ]);
    expect(runQuery(rows, fields, { select: 'count(*) as n, min(montant)', where: 'annee = 1999' })).toEqual([{ n: 0, 'min(montant)': null }]);
  });

  it('projects and orders plain records, by field or alias', () => {
    expect(runQuery(rows, fields, { select: 'code as c, montant', where: 'dep = "93"', orderBy: 'montant desc' })).toEqual([
      { c: '93001', montant: 250 },
      { c: '93001', montant: 100 },
      { c: '93066', montant: 50 },
    ]);
    expect(runQuery(rows, fields, { select: 'code as c', orderBy: 'c desc' })[0]).toEqual({ c: '93066' });
  });

  it.each([
    [{ where: 'nope = 1' }, /Unknown field: nope/],
    [{ select: 'nope' }, /Unknown field/],
    [{ select: 'code, count(*)', groupBy: 'dep' }, /must be in group_by/],
    [{ select: 'sum(libelle)' }, /numeric/],
    [{ where: 'count(*) > 1' }, /not allowed in where/],
    [{ groupBy: 'dep' }, /select \*/],
    [{ select: 'dep, sum(montant) as t', groupBy: 'dep', orderBy: 'montant' }, /must be selected/],
  ])('refuses semantic errors: %o', (clauses, message) => {
    expect(() => runQuery(rows, fields, clauses)).toThrow(message);
  });
});
