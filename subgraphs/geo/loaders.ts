/**
 * Per-request loaders over the geo connector. They de-duplicate within one request; the connector's
 * TTL cache is what spares the geodata API across requests.
 */
import { batchLoader, perKeyLoader } from '../kit/index.ts';
import type { CommuneRecord, GeoConnector } from './connector.ts';

export function createLoaders(connector: GeoConnector) {
  return {
    /** Communes by INSEE code; one batch is spread by the connector over at most one call per département. */
    commune: batchLoader((codes: readonly string[]) => connector.communes(codes), (commune: CommuneRecord) => commune.code),
    departement: perKeyLoader((code: string) => connector.departement(code)),
    region: perKeyLoader((code: string) => connector.region(code)),
    communesOfDepartement: perKeyLoader((code: string) => connector.communesOfDepartement(code)),
    regions: once(() => connector.regions()),
    departements: once(() => connector.departements()),
    allCommunes: once(() => connector.allCommunes()),
  };
}

export type GeoLoaders = ReturnType<typeof createLoaders>;

/** A whole-list loader: asked any number of times in a request, it calls the connector once. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= load());
}
