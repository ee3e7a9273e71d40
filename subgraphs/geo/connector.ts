/**
 * The only code that knows the geodata API (shaped like geo.api.gouv.fr): its URLs, its French
 * field names and its one quirk, no batch endpoint. It hands out English records.
 *
 * Geodata is yearly reference data, so every answer is kept for `cacheTtlMs` (TtlCache, which also
 * shares one in-flight call between concurrent askers). Lists are the cheap way in: each list
 * received primes the per-commune cache, so entity resolution, `Commune.departement` and friends
 * seldom reach the API one code at a time.
 */
import { TtlCache, createHttpClient, type HttpClient, type LegacyGuards } from '../kit/index.ts';

export const GEO_SYSTEM = 'geo-api';

export interface RegionRecord {
  code: string;
  name: string;
}

export interface DepartementRecord {
  code: string;
  name: string;
  regionCode: string;
}

export interface CommuneRecord {
  code: string;
  name: string;
  population: number;
  postalCodes: string[];
  departementCode: string;
  regionCode: string;
  epci: { code: string; name: string } | null;
  /** WGS 84 point; null when the API sends no `centre` (the current reference data has none). */
  center: { latitude: number; longitude: number } | null;
}

export interface GeoConnectorOptions {
  /** Base URL of the geodata API (GEO_API_URL). */
  baseUrl: string;
  /** Per-call timeout; past it a call fails with LEGACY_TIMEOUT. */
  timeoutMs: number;
  /** Retries of a call that failed with 502/503/504 or a network error. */
  retries: number;
  /** Keep-alive connections to the API. */
  connections: number;
  /** How long answers are kept (REFERENCE_CACHE_TTL_MS); 0 keeps nothing, every lookup calls the API. */
  cacheTtlMs: number;
  /** The subgraph's guards of its legacy systems (kit/legacy-guards.ts: breaker, bulkhead, retry budget); default: this connector's own. */
  guards?: LegacyGuards;
}

export interface GeoConnector {
  regions(): Promise<RegionRecord[]>;
  region(code: string): Promise<RegionRecord | null>;
  departements(): Promise<DepartementRecord[]>;
  departement(code: string): Promise<DepartementRecord | null>;
  /** A département's communes in INSEE code order; null when the département is unknown. */
  communesOfDepartement(code: string): Promise<CommuneRecord[] | null>;
  /** The communes among `codes` that exist, in any order (unknown codes are simply absent). */
  communes(codes: readonly string[]): Promise<CommuneRecord[]>;
  /** Every commune the API serves, in INSEE code order. */
  allCommunes(): Promise<CommuneRecord[]>;
  close(): Promise<void>;
}

interface WireNamed {
  code: string;
  nom: string;
}
interface WireDepartement extends WireNamed {
  codeRegion: string;
}
interface WireCommune extends WireNamed {
  codesPostaux?: string[];
  codeDepartement: string;
  codeRegion: string;
  population?: number;
  epci?: WireNamed;
  centre?: { type: string; coordinates: [number, number] };
}

/** Asked explicitly: the API's defaults omit `epci` and `centre`, and may change. */
const COMMUNE_FIELDS = 'code,nom,codesPostaux,codeDepartement,codeRegion,population,epci,centre';
const DEPARTEMENT_FIELDS = 'code,nom,codeRegion';
const REGION_FIELDS = 'code,nom';

/**
 * From this many uncached codes of one département in a batch, the département's list is fetched
 * instead of the codes one by one: two single calls already cost more round trips than the list,
 * and the list warms every neighbour for the rest of the TTL.
 */
const LIST_THRESHOLD = 2;

const ALL = 'all';

export function createGeoConnector(options: GeoConnectorOptions): GeoConnector {
  const http: HttpClient = createHttpClient({
    system: GEO_SYSTEM,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    connections: options.connections,
    guards: options.guards,
  });
  const ttl = options.cacheTtlMs;
  const regionList = new TtlCache<typeof ALL, RegionRecord[]>(ttl);
  const departementList = new TtlCache<typeof ALL, DepartementRecord[]>(ttl);
  const communeList = new TtlCache<typeof ALL, CommuneRecord[]>(ttl);
  const communesByDepartement = new TtlCache<string, CommuneRecord[] | null>(ttl);
  const communeByCode = new TtlCache<string, CommuneRecord | null>(ttl);

  /** Fills the per-commune cache from a list; an entry already there (or in flight) is kept. */
  function prime(communes: CommuneRecord[]): void {
    for (const commune of communes) void communeByCode.get(commune.code, () => Promise.resolve(commune));
  }

  async function fetchCommuneList(path: string, query: Record<string, string> = {}): Promise<CommuneRecord[] | null> {
    const wire = await http.get<WireCommune[]>(path, { ...query, fields: COMMUNE_FIELDS });
    if (wire === null) return null;
    const communes = wire.map(toCommune).sort(byCode);
    prime(communes);
    return communes;
  }

  const regions = () =>
    regionList.get(ALL, async () => ((await http.get<WireNamed[]>('/regions', { fields: REGION_FIELDS })) ?? []).map(toRegion).sort(byCode));

  const departements = () =>
    departementList.get(ALL, async () =>
      ((await http.get<WireDepartement[]>('/departements', { fields: DEPARTEMENT_FIELDS })) ?? []).map(toDepartement).sort(byCode),
    );

  const communesOfDepartement = (code: string) =>
    communesByDepartement.get(code, () => fetchCommuneList(`/departements/${encodeURIComponent(code)}/communes`));

  const commune = (code: string) =>
    communeByCode.get(code, async () => {
      const wire = await http.get<WireCommune>(`/communes/${encodeURIComponent(code)}`, { fields: COMMUNE_FIELDS });
      return wire === null ? null : toCommune(wire);
    });

  return {
    regions,
    departements,
    communesOfDepartement,
    allCommunes: () =>
      communeList.get(ALL, async () => {
        // One call for everything the API serves, rather than one per département: filters by name
        // or postal code need the whole list anyway to be exact (the API's `nom` search is fuzzy,
        // scored and capped by `limit`, so neither its membership nor a count can be trusted as a
        // "starts with"), and IdF is 1,266 communes, a few hundred kB, fetched once per TTL.
        // The list is complete, so it also primes each département's list.
        const communes = (await fetchCommuneList('/communes')) ?? [];
        for (const [departement, members] of groupBy(communes, (c) => c.departementCode)) {
          void communesByDepartement.get(departement, () => Promise.resolve(members));
        }
        return communes;
      }),

    // The API has one-code endpoints for régions and départements, but their lists are tiny (18
    // and 101 for all of France) and cached: one call per TTL answers every code, known or not.
    region: async (code) => (await regions()).find((r) => r.code === code) ?? null,
    departement: async (code) => (await departements()).find((d) => d.code === code) ?? null,

    async communes(codes) {
      // No batch endpoint: spread the keys over the départements their INSEE codes name, so a
      // batch costs at most one call per département, whatever the number of communes.
      const groups = await Promise.all(
        [...groupBy([...new Set(codes)], departementOfCode)].map(async ([departement, group]) => {
          if (group.length < LIST_THRESHOLD) return Promise.all(group.map(commune));
          const wanted = new Set(group);
          return ((await communesOfDepartement(departement)) ?? []).filter((c) => wanted.has(c.code));
        }),
      );
      return groups.flat().filter((c): c is CommuneRecord => c !== null);
    },

    close: () => http.close(),
  };
}

function toRegion(wire: WireNamed): RegionRecord {
  return { code: wire.code, name: wire.nom };
}

function toDepartement(wire: WireDepartement): DepartementRecord {
  return { code: wire.code, name: wire.nom, regionCode: wire.codeRegion };
}

function toCommune(wire: WireCommune): CommuneRecord {
  const point = wire.centre?.type === 'Point' ? wire.centre.coordinates : undefined;
  return {
    code: wire.code,
    name: wire.nom,
    population: wire.population ?? 0,
    postalCodes: wire.codesPostaux ?? [],
    departementCode: wire.codeDepartement,
    regionCode: wire.codeRegion,
    epci: wire.epci ? { code: wire.epci.code, name: wire.epci.nom } : null,
    // GeoJSON order is [longitude, latitude].
    center: point ? { longitude: point[0], latitude: point[1] } : null,
  };
}

/** The département an INSEE commune code names: 2 characters (2A/2B included), 3 overseas (97x). */
function departementOfCode(code: string): string {
  return code.startsWith('97') ? code.slice(0, 3) : code.slice(0, 2);
}

function byCode(a: { code: string }, b: { code: string }): number {
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(item);
  }
  return groups;
}
