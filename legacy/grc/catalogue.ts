/**
 * The GRC's reference data as the DSI configured it: services, request categories and the texts
 * agents typically write. Requests themselves are generated from these in `data.ts`.
 */

export interface ServiceSpec {
  code: string;
  libelle: string;
  type: 'THE' | 'LYC';
  /** Multiplies resolution times: some services are slower than others. */
  pace: number;
}

export const THEMATIC_SERVICES: readonly ServiceSpec[] = [
  { code: 'TRANSPORTS', libelle: 'Direction des transports et des mobilités', type: 'THE', pace: 1.2 },
  { code: 'LYCEES', libelle: 'Pôle lycées', type: 'LYC', pace: 1.0 },
  { code: 'FORMATION', libelle: 'Direction de la formation professionnelle et de l\'apprentissage', type: 'THE', pace: 0.9 },
  { code: 'ENVIRONNEMENT', libelle: 'Direction de l\'environnement', type: 'THE', pace: 1.4 },
  { code: 'CULTURE', libelle: 'Direction de la culture', type: 'THE', pace: 0.8 },
  { code: 'SPORT', libelle: 'Direction des sports, des loisirs et de la jeunesse', type: 'THE', pace: 0.9 },
  { code: 'ECONOMIE', libelle: 'Direction des aides économiques et de l\'emploi', type: 'THE', pace: 1.1 },
  { code: 'AMENAGEMENT', libelle: 'Direction de l\'aménagement et du logement', type: 'THE', pace: 1.6 },
  { code: 'SANTE', libelle: 'Direction de la santé et des solidarités', type: 'THE', pace: 1.0 },
];

/** Territorial services are named after their département: `TER-93`. */
export const territorialServiceCode = (departement: string) => `TER-${departement}`;
/** Territorial services resolve general requests quicker than thematic ones. */
export const TERRITORIAL_PACE = 0.7;

export interface CategorySpec {
  code: string;
  libelle: string;
  /** Default service code; null routes to the territorial service of the commune's département. */
  service: string | null;
  targetDays: number;
  /** Relative frequency among incoming requests. */
  weight: number;
  /** Share of requests of this category tied to a lycée (UAI). */
  lyceeShare: number;
  /** Share rejected at qualification (out of the region's remit, duplicate…). */
  rejectShare: number;
  subjects: readonly string[];
}

export const CATEGORIES: readonly CategorySpec[] = [
  { code: 'TRA-ABO', libelle: 'Abonnements et titres de transport', service: 'TRANSPORTS', targetDays: 10, weight: 9, lyceeShare: 0, rejectShare: 0.04,
    subjects: ['Remboursement du forfait Navigo', 'Tarification solidarité transport', 'Attestation de forfait annuel'] },
  { code: 'TRA-LIG', libelle: 'Desserte et lignes de bus', service: 'TRANSPORTS', targetDays: 30, weight: 8, lyceeShare: 0, rejectShare: 0.08,
    subjects: ['Retards récurrents sur une ligne de bus à {commune}', 'Demande de nouvel arrêt à {commune}', 'Fréquence insuffisante en heure de pointe'] },
  { code: 'TRA-ACC', libelle: 'Accessibilité des transports', service: 'TRANSPORTS', targetDays: 45, weight: 3, lyceeShare: 0, rejectShare: 0.03,
    subjects: ['Gare non accessible aux fauteuils roulants', 'Ascenseur en panne en gare de {commune}'] },
  { code: 'TRA-SCO', libelle: 'Transport scolaire', service: 'TRANSPORTS', targetDays: 15, weight: 5, lyceeShare: 0.6, rejectShare: 0.05,
    subjects: ['Carte scolaire bus non reçue', 'Circuit scolaire supprimé vers le lycée', 'Remboursement Imagine R'] },
  { code: 'LYC-BAT', libelle: 'Travaux et bâtiments des lycées', service: 'LYCEES', targetDays: 40, weight: 6, lyceeShare: 1, rejectShare: 0.02,
    subjects: ['Infiltrations dans un bâtiment du lycée', 'Chauffage défaillant dans les salles de classe', 'Sanitaires hors service au lycée'] },
  { code: 'LYC-NUM', libelle: 'Numérique éducatif et ENT', service: 'LYCEES', targetDays: 12, weight: 6, lyceeShare: 1, rejectShare: 0.02,
    subjects: ['Ordinateur portable régional défectueux', 'Accès impossible à l\'ENT', 'Débit internet insuffisant au lycée'] },
  { code: 'LYC-RES', libelle: 'Restauration scolaire', service: 'LYCEES', targetDays: 20, weight: 3, lyceeShare: 1, rejectShare: 0.03,
    subjects: ['Qualité des repas à la cantine', 'Tarif de restauration au quotient familial'] },
  { code: 'LYC-AID', libelle: 'Aides aux lycéens (manuels, équipements)', service: 'LYCEES', targetDays: 15, weight: 3, lyceeShare: 1, rejectShare: 0.06,
    subjects: ['Aide à l\'équipement professionnel non versée', 'Manuels scolaires manquants'] },
  { code: 'FOR-FIN', libelle: 'Financement de formation', service: 'FORMATION', targetDays: 20, weight: 5, lyceeShare: 0, rejectShare: 0.1,
    subjects: ['Prise en charge d\'une formation qualifiante', 'Rémunération de stagiaire non versée'] },
  { code: 'FOR-APP', libelle: 'Apprentissage', service: 'FORMATION', targetDays: 15, weight: 3, lyceeShare: 0.1, rejectShare: 0.06,
    subjects: ['Aide aux apprentis (premier équipement)', 'Recherche d\'un CFA'] },
  { code: 'FOR-SAN', libelle: 'Formations sanitaires et sociales', service: 'FORMATION', targetDays: 25, weight: 2, lyceeShare: 0, rejectShare: 0.05,
    subjects: ['Bourse d\'études sanitaires et sociales', 'Dossier de bourse incomplet'] },
  { code: 'ENV-DEC', libelle: 'Déchets et dépôts sauvages', service: 'ENVIRONNEMENT', targetDays: 20, weight: 4, lyceeShare: 0, rejectShare: 0.15,
    subjects: ['Dépôt sauvage en forêt régionale près de {commune}', 'Déchets le long d\'une berge'] },
  { code: 'ENV-BIO', libelle: 'Biodiversité et espaces verts', service: 'ENVIRONNEMENT', targetDays: 45, weight: 2, lyceeShare: 0, rejectShare: 0.1,
    subjects: ['Abattage d\'arbres dans une île de loisirs', 'Projet de mare pédagogique à {commune}'] },
  { code: 'ENV-ENE', libelle: 'Rénovation énergétique', service: 'ENVIRONNEMENT', targetDays: 30, weight: 3, lyceeShare: 0, rejectShare: 0.08,
    subjects: ['Aide à la rénovation énergétique d\'une copropriété', 'Chèque énergie régional'] },
  { code: 'CUL-SUB', libelle: 'Subventions culturelles', service: 'CULTURE', targetDays: 35, weight: 2, lyceeShare: 0, rejectShare: 0.12,
    subjects: ['Subvention pour un festival à {commune}', 'Aide à la création d\'une compagnie'] },
  { code: 'CUL-PAT', libelle: 'Patrimoine', service: 'CULTURE', targetDays: 50, weight: 1, lyceeShare: 0, rejectShare: 0.1,
    subjects: ['Restauration d\'une église classée à {commune}', 'Label patrimoine d\'intérêt régional'] },
  { code: 'SPO-EQU', libelle: 'Équipements sportifs', service: 'SPORT', targetDays: 40, weight: 2, lyceeShare: 0.2, rejectShare: 0.1,
    subjects: ['Gymnase fermé pour travaux à {commune}', 'Piscine régionale : horaires d\'ouverture'] },
  { code: 'SPO-CLU', libelle: 'Aides aux clubs et à la pratique', service: 'SPORT', targetDays: 25, weight: 2, lyceeShare: 0, rejectShare: 0.08,
    subjects: ['Subvention d\'un club sportif de {commune}', 'Pass sport régional'] },
  { code: 'ECO-ENT', libelle: 'Aides aux entreprises', service: 'ECONOMIE', targetDays: 30, weight: 3, lyceeShare: 0, rejectShare: 0.12,
    subjects: ['Prêt de rebond pour une TPE', 'Aide à l\'installation d\'un commerce à {commune}'] },
  { code: 'ECO-EMP', libelle: 'Emploi et insertion', service: 'ECONOMIE', targetDays: 20, weight: 2, lyceeShare: 0, rejectShare: 0.1,
    subjects: ['Accompagnement vers l\'emploi', 'Chantier d\'insertion à {commune}'] },
  { code: 'AME-LOG', libelle: 'Logement', service: 'AMENAGEMENT', targetDays: 60, weight: 3, lyceeShare: 0, rejectShare: 0.2,
    subjects: ['Logement étudiant régional', 'Demande de logement pour un jeune actif'] },
  { code: 'AME-ROU', libelle: 'Routes et aménagements régionaux', service: 'AMENAGEMENT', targetDays: 60, weight: 2, lyceeShare: 0, rejectShare: 0.15,
    subjects: ['Piste cyclable interrompue à {commune}', 'Nuisances d\'un chantier régional'] },
  { code: 'SAN-MED', libelle: 'Santé et accès aux soins', service: 'SANTE', targetDays: 30, weight: 2, lyceeShare: 0, rejectShare: 0.1,
    subjects: ['Désert médical à {commune}', 'Centre de santé : aide à l\'installation'] },
  { code: 'GEN-INF', libelle: 'Demande d\'information générale', service: null, targetDays: 7, weight: 8, lyceeShare: 0, rejectShare: 0.03,
    subjects: ['Demande d\'information sur les aides régionales', 'Interlocuteur régional pour {commune}', 'Horaires d\'accueil du public'] },
  { code: 'GEN-REC', libelle: 'Réclamation', service: null, targetDays: 20, weight: 5, lyceeShare: 0, rejectShare: 0.06,
    subjects: ['Réclamation sur une réponse précédente', 'Courrier resté sans réponse', 'Réclamation concernant un équipement régional à {commune}'] },
];

export const FIRST_NAMES = [
  'Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Sarah', 'Emma', 'Jade', 'Louise', 'Fatou', 'Aïcha', 'Yasmine', 'Nathalie', 'Sophie',
  'Lucas', 'Hugo', 'Louis', 'Nathan', 'Karim', 'Mehdi', 'Thomas', 'Julien', 'Nicolas', 'Mamadou', 'Youssef', 'Antoine', 'Éric', 'Pierre',
] as const;
export const LAST_NAMES = [
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefebvre', 'Michel',
  'Garcia', 'Bertrand', 'Roux', 'Fournier', 'Diallo', 'Traoré', 'Benali', 'Haddad', 'Nguyen', 'Da Silva', 'Rousseau', 'Morel', 'Girard',
] as const;

/** Free-text fragments the generator assembles into descriptions and messages. */
export const TEXTS = {
  descriptionOpenings: [
    'Bonjour, je me permets de vous contacter au sujet suivant.',
    'Madame, Monsieur, je souhaite vous signaler une situation qui dure depuis plusieurs semaines.',
    'Bonjour, suite à mon appel, voici le détail de ma demande.',
    'Je vous écris en tant qu\'habitant de {commune}.',
  ],
  descriptionClosings: [
    'Merci par avance pour votre retour.',
    'Je reste disponible pour tout complément.',
    'Dans l\'attente de votre réponse, veuillez agréer mes salutations.',
    'Pouvez-vous m\'indiquer les démarches à suivre ?',
  ],
  created: 'Demande enregistrée ({canal}). Un accusé de réception vous a été adressé.',
  qualified: 'Votre demande a été prise en compte par le service {service}.',
  inProgress: 'Votre demande est en cours de traitement.',
  rerouted: 'Votre demande a été transmise au service {service}, compétent pour y répondre.',
  askCitizen: [
    'Pourriez-vous nous transmettre un justificatif de domicile ?',
    'Merci de nous préciser l\'adresse exacte concernée.',
    'Pouvez-vous nous envoyer une photo de la situation ?',
    'Il manque une pièce à votre dossier : merci de la déposer sur votre espace.',
  ],
  citizenReplies: ['Voici le document demandé.', 'Je vous ai transmis les précisions par courriel.', 'Photo jointe, merci.'],
  internalNotes: [
    'Relance du prestataire effectuée.',
    'Dossier vu en réunion de service, réponse en préparation.',
    'Contact pris avec la mairie.',
    'En attente de l\'avis du pôle juridique.',
  ],
  resolved: [
    'Une réponse vous a été apportée : l\'intervention a été réalisée.',
    'Votre demande a reçu une suite favorable.',
    'Les informations demandées vous ont été transmises par courrier.',
    'Le dossier est traité : le versement a été effectué.',
  ],
  rejected: [
    'Votre demande ne relève pas des compétences de la Région ; nous vous invitons à contacter votre mairie.',
    'Cette demande fait doublon avec une demande déjà enregistrée.',
    'Votre demande ne remplit pas les critères d\'éligibilité du dispositif.',
  ],
  noReply: 'Sans réponse de votre part, votre demande est classée sans suite.',
  closed: 'Demande clôturée automatiquement après résolution.',
} as const;
