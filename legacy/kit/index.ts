export { HttpSystem, HttpError, CallCounter, sleep, type Faults, type LegacyRequest, type Handler } from './http-system.ts';
export { createRng, type Rng } from './random.ts';
export { idfCommunes, idfDepartements, idfRegion, idfEpcis, type RefCommune, type RefDepartement, type RefRegion, type RefEpci } from './territory.ts';
export {
  establishmentRegister,
  uaiCheckLetter,
  PUBLIC_LYCEES,
  PRIVATE_LYCEES,
  type Etablissement,
  type EstablishmentRegister,
  type TypeEtablissement,
  type Secteur,
} from './establishments.ts';
