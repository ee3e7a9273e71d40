/**
 * The README's example operations, preloaded as the Explorer's tabs. They live in this one module,
 * free of any browser API, so that `tests/console/explorer-operations.test.ts` validates each one
 * against the API schema built from `schema/supergraph.graphql`: a schema change that breaks an
 * example fails a test instead of greeting a partner with a red squiggle.
 */

/** One GraphiQL tab: an operation and the JSON text of its variables. */
export interface ExampleOperation {
  /** The operation's name, which GraphiQL shows as the tab's title. */
  name: string;
  query: string;
  /** The variables, as they appear in the variables editor (JSON text). */
  variables?: string;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** The impact of the region's action in a département, across all four systems. */
const impact: ExampleOperation = {
  name: 'Impact',
  query: `# L'action de la région dans un département,
# à travers les quatre systèmes.
query Impact($dep: String!, $year: Int!) {
  departement(code: $dep) {
    name
    impact(year: $year) { investedEur perInhabitantEur }
    communes {
      code name population
      lycees { uai name students equipment { kind quantity } openRequests { totalCount } }
      investments(year: $year) { programme { name } amountEur }
      requestStats { open resolved medianResolutionDays }
    }
  }
}
`,
  variables: json({ dep: '93', year: 2025 }),
};

const lyceesOfSaintDenis: ExampleOperation = {
  name: 'LyceesSaintDenis',
  query: `# Les lycées de Saint-Denis : équipement, demandes
# ouvertes (GRC) et investissements (open data).
query LyceesSaintDenis {
  lycees(filter: { commune: "93066" }, first: 2) {
    totalCount
    edges {
      node {
        uai name kind students
        commune { name population }
        equipment { kind quantity year }
        openRequests(first: 1) { totalCount }
        investments(year: 2025) { amountEur programme { name } }
      }
    }
  }
}
`,
};

const communesSearch: ExampleOperation = {
  name: 'CommunesSearch',
  query: `# Recherche insensible aux accents et à la casse.
query CommunesSearch($start: String!) {
  communes(filter: { nameStartsWith: $start }) {
    totalCount
    edges { node { code name departement { name } } }
  }
}
`,
  variables: json({ start: 'epinay' }),
};

const communeImpact: ExampleOperation = {
  name: 'CommuneImpact',
  query: `# Ce que l'action de la région produit dans une commune.
query CommuneImpact($code: String!, $year: Int!) {
  commune(code: $code) {
    name population
    impact(year: $year) {
      investedEur perInhabitantEur investmentCount lyceesEquipped openRequests
      programmes { programme { name } amountEur }
    }
    indicators(year: $year) { name value unit }
  }
}
`,
  variables: json({ code: '77288', year: 2024 }),
};

const submitRequest = (idempotencyKey: string): ExampleOperation => ({
  name: 'SubmitRequest',
  query: `# Déposer une demande (ouvert à tous). La réponse donne
# la référence et le jeton de suivi : collez ce jeton dans
# « Jeton » en haut de la page, puis suivez la demande avec
# l'onglet RequestUpdated. Renvoyer la même idempotencyKey
# renvoie la même réponse et ne dépose rien de plus.
mutation SubmitRequest($idempotencyKey: String!, $input: SubmitRequestInput!) {
  submitRequest(idempotencyKey: $idempotencyKey, input: $input) {
    request { reference status estimatedCompletion { median earliest latest basedOn } }
    routing { service { code name } rule matched }
    trackingToken
  }
}
`,
  variables: json({
    idempotencyKey,
    input: {
      subject: 'Piste pour vélo interrompue',
      description: "La piste cyclable s'arrête net avant la gare.",
      commune: '93066',
      channel: 'WEB',
      contact: { name: 'Camille Martin', email: 'camille@example.org' },
    },
  }),
});

const requestUpdated: ExampleOperation = {
  name: 'RequestUpdated',
  query: `# Suivre une demande en direct (graphql-ws). Il faut son
# jeton de suivi (ou un jeton d'agent) dans « Jeton » en haut
# de la page, et sa référence dans les variables. Passer le
# dernier \`cursor\` reçu comme \`after\` reprend sans trou.
subscription RequestUpdated($reference: String!, $after: String) {
  requestUpdated(reference: $reference, after: $after) {
    reference status updatedAt cursor
    service { name }
    estimatedCompletion { median earliest latest basedOn }
    timeline { at kind status message }
  }
}
`,
  variables: json({ reference: 'IDF-2026-000100' }),
};

/**
 * The tabs in the README's order. `idempotencyKey` makes the SubmitRequest tab's key: fresh for
 * each page load in the browser (two visitors running the example unchanged must not share a
 * request, and with it a tracking token), fixed in tests.
 */
export function exampleOperations(idempotencyKey: string): ExampleOperation[] {
  return [impact, lyceesOfSaintDenis, communesSearch, communeImpact, submitRequest(idempotencyKey), requestUpdated];
}
