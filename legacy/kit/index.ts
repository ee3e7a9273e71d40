export { HttpSystem, HttpError, CallCounter, sleep, type Faults, type LegacyRequest, type Handler } from './http-system.ts';
export { createRng, type Rng } from './random.ts';
export { idfCommunes, idfDepartements, idfRegion, idfEpcis, type RefCommune, type RefDepartement, type RefRegion, type RefEpci } from './territory.ts';
