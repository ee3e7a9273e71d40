/**
 * The API-shaped records the connector returns, and the mapping from a `t_demande` row (read by a
 * query, or recorded as a snapshot by the change journal) to a `RequestRecord`.
 */
import { channelOf, statusOf, type RequestChannel, type RequestEventKind, type RequestStatus, type ServiceKind } from './codes.ts';
import { mapped } from './database.ts';

export interface RequestRecord {
  id: string;
  reference: string;
  subject: string;
  description: string;
  status: RequestStatus;
  serviceId: number;
  categoryId: number;
  channel: RequestChannel;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  communeCode: string;
  uai: string | null;
}

export interface RequestEventRecord {
  requestId: string;
  at: Date;
  kind: RequestEventKind;
  status: RequestStatus;
  previousStatus: RequestStatus | null;
  message: string | null;
}

export interface ServiceRecord {
  id: number;
  code: string;
  name: string;
  kind: ServiceKind;
  departementCode: string | null;
  /** Inactive services still appear on old requests but take no new ones. */
  active: boolean;
}

export interface CategoryRecord {
  id: number;
  code: string;
  name: string;
  defaultServiceId: number | null;
  targetDays: number;
  /** Inactive categories still appear on old requests but take no new ones. */
  active: boolean;
}

export interface RequestStatsRecord {
  /** The commune or département code the counts are about. */
  key: string;
  total: number;
  open: number;
  resolved: number;
  medianResolutionDays: number | null;
}

export interface RequestFilter {
  serviceCode?: string;
  status?: RequestStatus;
  communeCode?: string;
  uai?: string;
  since?: Date;
  /** Row rules (access/rules.ts): only requests of these services… */
  serviceIds?: readonly number[];
  /** …or with these references. */
  references?: readonly string[];
}

export interface Window {
  offset: number;
  limit: number;
}

export interface Page<T> {
  totalCount: number;
  offset: number;
  items: T[];
}

/** Columns of `t_demande` the API may show: contact details are never selected. */
export const REQUEST_COLUMNS = `d.id_demande, d.num_demande, d.objet, d.description, d.code_statut, d.id_service, d.id_categorie,
  d.canal, d.code_insee, d.code_uai, d.date_creation, d.date_maj, d.date_cloture`;
export const NEWEST_FIRST = 'date_creation DESC, id_demande DESC';

export interface DemandeRow {
  id_demande: number;
  num_demande: string;
  objet: string;
  description: string;
  code_statut: string;
  id_service: number;
  id_categorie: number;
  canal: string;
  code_insee: string;
  code_uai: string | null;
  date_creation: Date;
  date_maj: Date;
  date_cloture: Date | null;
}


/**
 * A request as the change journal recorded it: `snapshot` is `to_jsonb` of its `t_demande` row
 * (see capture/), so timestamps arrive as ISO strings. LEGACY_ERROR when it holds an unknown code.
 */
export function requestFromSnapshot(snapshot: Record<string, unknown>): RequestRecord {
  const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  const row = snapshot as unknown as DemandeRow;
  return toRequest({ ...row, date_creation: date(snapshot.date_creation)!, date_maj: date(snapshot.date_maj)!, date_cloture: date(snapshot.date_cloture) });
}

export function toRequest(row: DemandeRow): RequestRecord {
  return mapped(() => ({
    id: String(row.id_demande),
    reference: row.num_demande,
    subject: row.objet,
    description: row.description,
    status: statusOf(row.code_statut),
    serviceId: row.id_service,
    categoryId: row.id_categorie,
    channel: channelOf(row.canal),
    createdAt: row.date_creation,
    updatedAt: row.date_maj,
    closedAt: row.date_cloture,
    communeCode: row.code_insee,
    uai: row.code_uai,
  }));
}
