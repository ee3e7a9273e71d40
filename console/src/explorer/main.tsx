/** @jsxImportSource react */
/**
 * The Explorer page: GraphiQL 5 on the gateway's schema, bundled with everything it needs (Monaco,
 * its workers, its fonts are inlined in graphiql's stylesheet), so it works on a network with no
 * internet. React is GraphiQL's own dependency; the rest of the console does not use it.
 *
 * Above the editor, the caller's credential (bearer token or API key, kept in sessionStorage) and
 * a status line (`aria-live`) that says who the calls are made as and why the schema is missing
 * when the gateway refuses introspection.
 */
import './workers.ts';
import 'graphiql/style.css';
import './explorer.css';
import { GraphiQL } from 'graphiql';
import { StrictMode, useCallback, useMemo, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { loadCredential, saveCredential, type Credential, type CredentialKind } from './credentials.ts';
import { explorerFetcher, type SchemaStatus } from './fetcher.ts';
import { exampleOperations } from './operations.ts';

const SCHEMA_MESSAGES: Record<SchemaStatus, string> = {
  loading: 'Chargement du schéma…',
  ready: '',
  disabled:
    "Schéma non consultable : l'introspection est désactivée sur cette passerelle (c'est le réglage de production). " +
    "Les requêtes s'exécutent, mais sans autocomplétion ni documentation. Pour explorer le schéma, utilisez un jeton " +
    "portant le scope « introspection ».",
  unauthenticated: "Le jeton ou la clé d'API a été refusé (UNAUTHENTICATED) : vérifiez-le, ou effacez-le pour appeler en anonyme.",
  'rate-limited': 'Trop de requêtes pour le moment (RATE_LIMITED) : réessayez dans un instant en rechargeant la page.',
  failed: "La passerelle n'a pas renvoyé de schéma ; le détail est dans la réponse de l'introspection.",
  unreachable: 'La passerelle ne répond pas sur /graphql.',
};

const KIND_LABELS: Record<CredentialKind, string> = {
  bearer: 'Jeton (Bearer)',
  'api-key': "Clé d'API",
};

function callerDescription(credential: Credential | null): string {
  if (!credential) return 'Appels anonymes : données publiques et comptages seulement.';
  return credential.kind === 'bearer' ? 'Appels avec votre jeton (authorization: Bearer …).' : "Appels avec votre clé d'API (x-api-key).";
}

function CredentialForm(props: { credential: Credential | null; onChange(credential: Credential | null): void }) {
  const [kind, setKind] = useState<CredentialKind>(props.credential?.kind ?? 'bearer');
  const [value, setValue] = useState(props.credential?.value ?? '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onChange(value.trim() ? { kind, value } : null);
  };
  const clear = () => {
    setValue('');
    props.onChange(null);
  };
  return (
    <form className="credential" onSubmit={submit} aria-label="Identité des appels">
      <label htmlFor="credential-kind">Type</label>
      <select id="credential-kind" value={kind} onChange={(event) => setKind(event.target.value as CredentialKind)}>
        {(Object.keys(KIND_LABELS) as CredentialKind[]).map((option) => (
          <option key={option} value={option}>{KIND_LABELS[option]}</option>
        ))}
      </select>
      <label htmlFor="credential-value">{kind === 'bearer' ? 'Jeton' : "Clé d'API"}</label>
      <input
        id="credential-value"
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder={kind === 'bearer' ? 'eyJhbGciOi…' : 'psk_…'}
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <button type="submit">Utiliser</button>
      <button type="button" onClick={clear} disabled={!props.credential && !value}>Effacer</button>
    </form>
  );
}

function Explorer() {
  const [credential, setCredential] = useState<Credential | null>(() => loadCredential(sessionStorage));
  const [schemaStatus, setSchemaStatus] = useState<SchemaStatus>('loading');
  // A new fetcher makes GraphiQL introspect again, as the schema a caller may see can change with the credential.
  const fetcher = useMemo(() => explorerFetcher(credential, setSchemaStatus), [credential]);
  // Fresh once per page load: two visitors running SubmitRequest unchanged must not share a request.
  const tabs = useMemo(
    () => exampleOperations(crypto.randomUUID()).map(({ query, variables }) => ({ query, variables })),
    [],
  );
  // GraphiQL fills the first tab's editor with that tab's query but not its variables; on a first
  // visit (no tabs stored yet) give them to it, so the Impact example runs as it comes.
  const [firstVisitVariables] = useState(() => (localStorage.getItem('graphiql:tabState') ? undefined : tabs[0]?.variables));
  const changeCredential = useCallback((next: Credential | null) => setCredential(saveCredential(sessionStorage, next)), []);
  const schemaMessage = SCHEMA_MESSAGES[schemaStatus];

  return (
    <>
      <header className="explorer-header">
        <a className="home" href="/">Passerelle</a>
        <h1>Explorer l'API</h1>
        <CredentialForm credential={credential} onChange={changeCredential} />
        <p className="status" role="status" aria-live="polite">
          <span data-testid="caller">{callerDescription(credential)}</span>
          {schemaMessage && (
            <span className={`schema schema-${schemaStatus}`} data-testid="schema-status"> {schemaMessage}</span>
          )}
        </p>
      </header>
      <main className="explorer-main">
        <GraphiQL fetcher={fetcher} defaultTabs={tabs} initialVariables={firstVisitVariables} defaultEditorToolsVisibility="variables">
          <GraphiQL.Logo>/graphql</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </>
  );
}

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
