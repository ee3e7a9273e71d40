/**
 * The Passerelle console: four pages over the gateway's public GraphQL API, in French.
 * Served by the gateway at `/` (console/dist); the Explorer (GraphiQL) lives at `/explorer/`.
 */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import './styles.css';
import { useRoute, type Route } from './router.ts';
import { SubmitPage } from './pages/Submit.tsx';
import { TrackPage } from './pages/Track.tsx';
import { ImpactPage } from './pages/Impact.tsx';
import { QueuePage } from './pages/Queue.tsx';

const PAGES = [
  { path: 'deposer', label: 'Déposer une demande' },
  { path: 'suivre', label: 'Suivre ma demande' },
  { path: 'impact', label: 'Impact' },
  { path: 'file', label: "File d'attente" },
] as const;

function Page({ route }: { route: Route }) {
  switch (route.segments[0]) {
    case 'suivre':
      return <TrackPage reference={route.segments[1] ?? null} token={route.params.get('token')} />;
    case 'impact':
      return <ImpactPage params={route.params} />;
    case 'file':
      return <QueuePage />;
    default:
      return <SubmitPage />;
  }
}

function App() {
  const route = useRoute();
  const current = route.segments[0] ?? 'deposer';
  const main = useRef<HTMLElement>(null);
  // Keyboard and screen-reader users land on the new page's content, not on the menu they left.
  useEffect(() => {
    main.current?.focus({ preventScroll: true });
  }, [current]);
  return (
    <>
      <a class="skip" href="#contenu" onClick={(event) => { event.preventDefault(); main.current?.focus(); }}>Aller au contenu</a>
      <header class="top">
        <p class="brand"><strong>Passerelle</strong> <span>Région Île-de-France</span></p>
        <nav aria-label="Pages de la console">
          <ul>
            {PAGES.map((page) => (
              <li key={page.path}>
                <a href={`#/${page.path}`} aria-current={current === page.path ? 'page' : undefined}>{page.label}</a>
              </li>
            ))}
            <li><a href="./explorer/">Explorer l'API</a></li>
          </ul>
        </nav>
      </header>
      <main id="contenu" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
      <footer class="bottom">
        <p>Toutes les données viennent de l'API GraphQL de la passerelle (<code>/graphql</code>). Aucune ressource externe n'est chargée.</p>
      </footer>
    </>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the "loading" line of index.html, shown until the script runs
render(<App />, root);
