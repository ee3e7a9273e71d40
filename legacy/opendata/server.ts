/**
 * The decision-support portal's wire interface, shaped like the Opendatasoft Explore API v2.1:
 * - `GET /api/explore/v2.1/catalog/datasets` → `{ total_count, results: [dataset…] }`
 * - `GET …/catalog/datasets/{id}/records?where=&select=&group_by=&order_by=&limit=&offset=`
 *   → `{ total_count, results: [record…] }`, at most 100 records a page (default 10) and
 *   `offset + limit` ≤ 10,000, as on the real platform;
 * - `GET …/catalog/datasets/{id}/exports/json?where=&select=&group_by=&order_by=&limit=`
 *   → a JSON array of every matching record (or group), unpaginated.
 * Errors use the platform's body, `{ error_code, message }`: `ODSQLError` for a query that does not
 * parse or names an unknown field, `InvalidRESTParameterError` for a bad `limit`/`offset`.
 */
import { HttpError, HttpSystem, type Faults, type LegacyRequest } from '../kit/index.ts';
import type { Dataset } from './data.ts';
import { runQuery, type Row } from './evaluate.ts';
import { OdsqlError } from './odsql.ts';

const BASE = '/api/explore/v2.1/catalog/datasets';
const MAX_PAGE = 100;
const MAX_WINDOW = 10_000;
const DEFAULT_PAGE = 10;
/** Bulk readers put ~1,000 quoted keys in one `where`; the platform accepts long URLs. */
const MAX_URL_BYTES = 128 * 1024;

function odsError(status: number, errorCode: string, message: string): HttpError {
  return new HttpError(status, message, { error_code: errorCode, message });
}

function restParameterError(message: string): HttpError {
  return odsError(400, 'InvalidRESTParameterError', message);
}

function integerParam(request: LegacyRequest, name: string, fallback: number): number {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw restParameterError(`Invalid value for ${name} API parameter: ${raw} is not an integer.`);
  return value;
}

function query(dataset: Dataset, request: LegacyRequest): Row[] {
  try {
    return runQuery(dataset.records, dataset.fields, {
      where: request.query.get('where'),
      select: request.query.get('select'),
      groupBy: request.query.get('group_by'),
      orderBy: request.query.get('order_by'),
    });
  } catch (error) {
    if (error instanceof OdsqlError) throw odsError(400, 'ODSQLError', error.message);
    throw error;
  }
}

function describe(dataset: Dataset) {
  return {
    dataset_id: dataset.id,
    has_records: dataset.records.length > 0,
    metas: { default: { title: dataset.title, description: dataset.description, records_count: dataset.records.length } },
    fields: dataset.fields.map((f) => ({ name: f.name, label: f.label, type: f.type })),
  };
}

export function createOpendataApi(datasets: Map<string, Dataset>, faults: Faults): HttpSystem {
  const find = (request: LegacyRequest): Dataset => {
    const dataset = datasets.get(request.params.id!);
    if (!dataset) throw odsError(404, 'NotFound', `Unknown dataset: ${request.params.id}`);
    return dataset;
  };

  return new HttpSystem({ system: 'opendata-api', faults, maxHeaderSize: MAX_URL_BYTES })
    .get(BASE, () => ({ total_count: datasets.size, results: [...datasets.values()].map(describe) }))
    .get(`${BASE}/:id`, (request) => describe(find(request)))
    .get(`${BASE}/:id/records`, (request) => {
      const dataset = find(request);
      const limit = integerParam(request, 'limit', DEFAULT_PAGE);
      const offset = integerParam(request, 'offset', 0);
      if (limit < 0 || limit > MAX_PAGE) {
        throw restParameterError(`Invalid value for limit API parameter: ${limit} was found but 0 <= limit <= ${MAX_PAGE} is expected.`);
      }
      if (offset < 0) throw restParameterError(`Invalid value for offset API parameter: ${offset} was found but offset >= 0 is expected.`);
      if (offset + limit > MAX_WINDOW) {
        throw restParameterError(`Invalid value for offset API parameter: offset + limit must be at most ${MAX_WINDOW}; use the exports endpoint for more.`);
      }
      const rows = query(dataset, request);
      return { total_count: rows.length, results: rows.slice(offset, offset + limit) };
    })
    .get(`${BASE}/:id/exports/:format`, (request) => {
      const dataset = find(request);
      if (request.params.format !== 'json') {
        throw restParameterError(`Export format ${request.params.format} is not served by this portal; use json.`);
      }
      const limit = integerParam(request, 'limit', -1);
      if (limit < -1) throw restParameterError(`Invalid value for limit API parameter: ${limit} was found but limit >= -1 is expected.`);
      const rows = query(dataset, request);
      return limit === -1 ? rows : rows.slice(0, limit);
    });
}
