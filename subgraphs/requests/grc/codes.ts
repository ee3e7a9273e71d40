/**
 * The GRC's codes and the API's enums, mapped in this one place (part of the connector: only
 * `connector.ts` imports it). The GRC's codes are 3-letter statuses and event types, channel
 * names and service types; the API speaks English enums.
 */

export const STATUSES = ['NEW', 'QUALIFIED', 'IN_PROGRESS', 'WAITING_FOR_CITIZEN', 'RESOLVED', 'CLOSED', 'REJECTED'] as const;
export type RequestStatus = (typeof STATUSES)[number];
export type RequestChannel = 'WEB' | 'EMAIL' | 'PHONE' | 'POST' | 'DESK';
export type RequestEventKind = 'CREATED' | 'STATUS_CHANGED' | 'ASSIGNED' | 'MESSAGE';
export type ServiceKind = 'THEMATIC' | 'TERRITORIAL' | 'LYCEES';

const STATUS_BY_CODE: Record<string, RequestStatus> = {
  NOU: 'NEW',
  QUA: 'QUALIFIED',
  ENC: 'IN_PROGRESS',
  ATT: 'WAITING_FOR_CITIZEN',
  RES: 'RESOLVED',
  CLO: 'CLOSED',
  REJ: 'REJECTED',
};
const CODE_BY_STATUS = Object.fromEntries(Object.entries(STATUS_BY_CODE).map(([code, status]) => [status, code])) as Record<RequestStatus, string>;

/** Statuses counted as open: neither resolved nor rejected. */
export const OPEN_CODES = ['NOU', 'QUA', 'ENC', 'ATT'];
/** Statuses counted as resolved: a closed request was resolved first. */
export const RESOLVED_CODES = ['RES', 'CLO'];

const CHANNEL_BY_CANAL: Record<string, RequestChannel> = { WEB: 'WEB', MAIL: 'EMAIL', TEL: 'PHONE', COURRIER: 'POST', GUICHET: 'DESK' };
const KIND_BY_TYPE: Record<string, RequestEventKind> = { CRE: 'CREATED', STA: 'STATUS_CHANGED', AFF: 'ASSIGNED', MSG: 'MESSAGE' };
const SERVICE_KIND_BY_TYPE: Record<string, ServiceKind> = { THE: 'THEMATIC', TER: 'TERRITORIAL', LYC: 'LYCEES' };

/** Thrown on a code the mapping does not know: the GRC holds something the API cannot say. */
export class UnknownCodeError extends Error {}

function lookup<T>(table: Record<string, T>, what: string, code: string): T {
  const value = table[code.trim()];
  if (value === undefined) throw new UnknownCodeError(`unknown GRC ${what} code "${code}"`);
  return value;
}

export const statusOf = (code: string) => lookup(STATUS_BY_CODE, 'status', code);
export const statusCode = (status: RequestStatus) => CODE_BY_STATUS[status];
export const channelOf = (canal: string) => lookup(CHANNEL_BY_CANAL, 'channel', canal);
export const channelCode = (channel: RequestChannel) =>
  Object.entries(CHANNEL_BY_CANAL).find(([, value]) => value === channel)![0];
export const eventKindOf = (type: string) => lookup(KIND_BY_TYPE, 'event type', type);
export const serviceKindOf = (type: string) => lookup(SERVICE_KIND_BY_TYPE, 'service type', type);
