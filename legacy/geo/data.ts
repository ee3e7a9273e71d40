/**
 * The geodata system's store: the official Île-de-France split (`legacy/kit`), indexed the way the
 * geo API serves it. Nothing here is generated, because the real system's data is public reference
 * data; and nothing is invented either, so there are no coordinates (the package ships none).
 */
import {
  idfCommunes,
  idfDepartements,
  idfEpcis,
  idfRegion,
  type RefCommune,
  type RefDepartement,
  type RefEpci,
  type RefRegion,
} from '../kit/index.ts';

export interface GeoStore {
  regions: Map<string, RefRegion>;
  departements: Map<string, RefDepartement>;
  communes: Map<string, RefCommune>;
  communesByDepartement: Map<string, RefCommune[]>;
  epcis: Map<string, RefEpci>;
  /** Each commune's EPCI (every French commune belongs to at most one). */
  epciOfCommune: Map<string, RefEpci>;
}

export function createGeoStore(): GeoStore {
  const communesByDepartement = new Map<string, RefCommune[]>(idfDepartements.map((d) => [d.code, []]));
  for (const commune of idfCommunes) communesByDepartement.get(commune.departement)?.push(commune);

  const epciOfCommune = new Map<string, RefEpci>();
  for (const epci of idfEpcis) for (const member of epci.members) epciOfCommune.set(member, epci);

  return {
    regions: new Map([[idfRegion.code, idfRegion]]),
    departements: new Map(idfDepartements.map((d) => [d.code, d])),
    communes: new Map(idfCommunes.map((c) => [c.code, c])),
    communesByDepartement,
    epcis: new Map(idfEpcis.map((e) => [e.code, e])),
    epciOfCommune,
  };
}

/**
 * Département of an INSEE commune code. The code embeds it (2 characters in metropolitan France,
 * including 2A/2B, 3 for overseas), which is how the stand-in knows the départements of EPCI
 * members outside Île-de-France without holding their data.
 */
export function departementOfCode(code: string): string {
  return code.startsWith('97') ? code.slice(0, 3) : code.slice(0, 2);
}
