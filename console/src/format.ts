/** French wording and number formats shared by the pages. */
import type { RequestStatus, RoutingRule } from './operations/generated.ts';

const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
const eurosCents = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short' });
const date = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long' });

export const formatEuros = (value: number) => euros.format(value);
export const formatEurosCents = (value: number) => eurosCents.format(value);
export const formatInteger = (value: number) => integer.format(value);
export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));
export const formatDate = (iso: string) => date.format(new Date(iso));

export const STATUS_LABELS: Record<RequestStatus, string> = {
  NEW: 'Reçue',
  QUALIFIED: 'Prise en compte',
  IN_PROGRESS: 'En cours de traitement',
  WAITING_FOR_CITIZEN: 'En attente de votre réponse',
  RESOLVED: 'Traitée',
  CLOSED: 'Clôturée',
  REJECTED: 'Rejetée',
};

/** The usual path of a request, shown as steps (a rejected request stops where it was rejected). */
export const STATUS_STEPS: RequestStatus[] = ['NEW', 'QUALIFIED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'];

export const ROUTING_LABELS: Record<RoutingRule, string> = {
  LYCEE: 'la demande concerne un lycée : elle va au service des lycées',
  CATEGORY: 'la catégorie choisie désigne ce service',
  KEYWORD: 'des mots de la demande désignent ce service',
  TERRITORY: 'aucune autre règle ne s’applique : service territorial du département',
};
