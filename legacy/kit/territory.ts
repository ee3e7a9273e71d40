/**
 * The official administrative split of Île-de-France, read straight from the JSON files of
 * `@etalab/decoupage-administratif` (its entry point resolves paths from the working directory, so
 * it is not used). Every stand-in that places records in communes draws from this same list, as the
 * real systems all use INSEE codes.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const IDF_REGION_CODE = '11';

interface RawCommune {
  code: string;
  nom: string;
  departement: string;
  region: string;
  type: string;
  codesPostaux?: string[];
  population?: number;
  siren?: string;
}
interface RawDepartement {
  code: string;
  nom: string;
  region: string;
  chefLieu: string;
}
interface RawRegion {
  code: string;
  nom: string;
  chefLieu: string;
}
interface RawEpci {
  code: string;
  nom: string;
  type: string;
  populationTotale?: number;
  membres: { code: string }[];
}

export interface RefCommune {
  code: string;
  name: string;
  departement: string;
  region: string;
  postalCodes: string[];
  population: number;
  siren: string | null;
}
export interface RefDepartement {
  code: string;
  name: string;
  region: string;
  chefLieu: string;
}
export interface RefRegion {
  code: string;
  name: string;
  chefLieu: string;
}
export interface RefEpci {
  code: string;
  name: string;
  type: string;
  population: number | null;
  members: string[];
}

const data = '@etalab/decoupage-administratif/data';

export const idfRegion: RefRegion = (() => {
  const r = (require(`${data}/regions.json`) as RawRegion[]).find((x) => x.code === IDF_REGION_CODE)!;
  return { code: r.code, name: r.nom, chefLieu: r.chefLieu };
})();

export const idfDepartements: RefDepartement[] = (require(`${data}/departements.json`) as RawDepartement[])
  .filter((d) => d.region === IDF_REGION_CODE)
  .map((d) => ({ code: d.code, name: d.nom, region: d.region, chefLieu: d.chefLieu }));

export const idfCommunes: RefCommune[] = (require(`${data}/communes.json`) as RawCommune[])
  .filter((c) => c.region === IDF_REGION_CODE && c.type === 'commune-actuelle')
  .map((c) => ({
    code: c.code,
    name: c.nom,
    departement: c.departement,
    region: c.region,
    postalCodes: c.codesPostaux ?? [],
    population: c.population ?? 0,
    siren: c.siren ?? null,
  }));

const idfCodes = new Set(idfCommunes.map((c) => c.code));

/** EPCI whose members are (at least partly) in Île-de-France. */
export const idfEpcis: RefEpci[] = (require(`${data}/epci.json`) as RawEpci[])
  .filter((e) => e.membres.some((m) => idfCodes.has(m.code)))
  .map((e) => ({
    code: e.code,
    name: e.nom,
    type: e.type,
    population: e.populationTotale ?? null,
    members: e.membres.map((m) => m.code),
  }));
