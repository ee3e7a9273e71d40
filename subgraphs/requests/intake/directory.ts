/**
 * The other systems' registers the intake checks a new request against, asked through their own
 * interfaces as any client would: the geodata API (`GET /communes/{code}`) for the commune, the
 * Lycées numériques API (`GET /api/v1/etablissements/{uai}`) for the lycée. The requests subgraph
 * imports nothing from the geo or lycées subgraphs: it only needs "does it exist, and where".
 *
 * Answers, including "unknown" (404 → null), are kept `ttlMs`: communes and lycées change yearly,
 * and a burst of submits about one commune (or one idempotent submit retried 20 times) makes one
 * call. Failures are not cached and surface as LEGACY_UNAVAILABLE / LEGACY_TIMEOUT naming the system.
 */
import { TtlCache, createHttpClient, type HttpClient, type LegacyGuards } from '../../kit/index.ts';

export interface DirectoryOptions {
  geoApiUrl: string;
  lyceesApiUrl: string;
  /** Per-call timeout (UPSTREAM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Retries of a call that failed with 502/503/504 or a network error. */
  retries: number;
  /** Keep-alive connections per system. */
  connections: number;
  /** How long an answer is kept (REFERENCE_CACHE_TTL_MS). */
  ttlMs: number;
  /** The subgraph's guards of its legacy systems (kit/legacy-guards.ts: breaker, bulkhead, retry budget); default: this connector's own. */
  guards?: LegacyGuards;
}

export interface DirectoryCommune {
  code: string;
  name: string;
  departementCode: string;
}

export interface DirectoryLycee {
  uai: string;
  name: string;
  communeCode: string;
}

export interface Directory {
  /** The commune with this INSEE code; null when the geodata API does not know it. */
  commune(code: string): Promise<DirectoryCommune | null>;
  /** The establishment with this UAI; null when the Lycées API does not know it. */
  lycee(uai: string): Promise<DirectoryLycee | null>;
  close(): Promise<void>;
}

interface WireCommune {
  code: string;
  nom: string;
  codeDepartement: string;
}

interface WireEtablissement {
  uai: string;
  nom: string;
  code_commune: string;
}

export function createDirectory(options: DirectoryOptions): Directory {
  const client = (system: string, baseUrl: string): HttpClient =>
    createHttpClient({ system, baseUrl, timeoutMs: options.timeoutMs, retries: options.retries, connections: options.connections, guards: options.guards });
  const geo = client('geo-api', options.geoApiUrl);
  const lycees = client('lycees-api', options.lyceesApiUrl);
  const communes = new TtlCache<string, DirectoryCommune | null>(options.ttlMs);
  const etablissements = new TtlCache<string, DirectoryLycee | null>(options.ttlMs);

  return {
    commune: (code) =>
      communes.get(code, async () => {
        const wire = await geo.get<WireCommune>(`/communes/${encodeURIComponent(code)}`, { fields: 'nom,code,codeDepartement' });
        return wire ? { code: wire.code, name: wire.nom, departementCode: wire.codeDepartement } : null;
      }),
    lycee: (uai) =>
      etablissements.get(uai, async () => {
        const wire = await lycees.get<WireEtablissement>(`/api/v1/etablissements/${encodeURIComponent(uai)}`);
        return wire ? { uai: wire.uai, name: wire.nom, communeCode: wire.code_commune } : null;
      }),
    async close() {
      await Promise.all([geo.close(), lycees.close()]);
    },
  };
}
