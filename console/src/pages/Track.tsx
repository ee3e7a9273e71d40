/**
 * Suivre ma demande: the parcel-tracking page. Works from the link alone (`#/suivre/<reference>?token=…`):
 * reads the request once, then follows `requestUpdated` over graphql-ws. The last cursor received is
 * kept in localStorage per reference, so a reload, a dropped connection or a gateway restart resumes
 * where the page was (the server replays what was missed, nothing twice). A drop is shown discreetly;
 * the last known state stays on screen.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, query } from '../api/http.ts';
import { follow, type Following, type LiveState } from '../api/live.ts';
import { STATUS_LABELS, STATUS_STEPS, formatDate, formatDateTime } from '../format.ts';
import { RequestUpdatedDocument, TrackRequestDocument, type TrackedRequestFragment } from '../operations/generated.ts';
import { href } from '../router.ts';

const cursorKey = (reference: string) => `passerelle:cursor:${reference}`;

function storedCursor(reference: string): string | null {
  try {
    return localStorage.getItem(cursorKey(reference));
  } catch {
    return null; // storage disabled: the page still works, it just resumes from "now" after a reload
  }
}

function storeCursor(reference: string, cursor: string) {
  try {
    localStorage.setItem(cursorKey(reference), cursor);
  } catch {
    /* see storedCursor */
  }
}

interface LiveEntry {
  cursor: string;
  status: TrackedRequestFragment['status'];
  at: string;
}

const LIVE_LABELS: Record<LiveState, string> = {
  connecting: 'connexion…',
  live: 'en direct',
  reconnecting: 'reconnexion…',
  stopped: 'suivi arrêté',
};

function Lookup() {
  const [link, setLink] = useState('');
  const open = (event: Event) => {
    event.preventDefault();
    const hash = link.includes('#') ? link.slice(link.indexOf('#')) : '';
    if (hash) location.hash = hash;
  };
  return (
    <section aria-labelledby="lookup-title">
      <h1 id="lookup-title">Suivre ma demande</h1>
      <form class="card form" onSubmit={open}>
        <div class="field">
          <label for="tracking-link">Votre lien de suivi</label>
          <p class="hint" id="tracking-link-hint">Le lien donné au dépôt de la demande ; il contient la référence et votre clé de suivi.</p>
          <input id="tracking-link" class="wide" aria-describedby="tracking-link-hint" value={link} onInput={(e) => setLink(e.currentTarget.value)} />
        </div>
        <button type="submit">Suivre</button>
      </form>
    </section>
  );
}

function Steps({ status }: { status: TrackedRequestFragment['status'] }) {
  const rank = status === 'WAITING_FOR_CITIZEN' ? STATUS_STEPS.indexOf('IN_PROGRESS') : STATUS_STEPS.indexOf(status);
  return (
    <ol class="steps" aria-label="Étapes de la demande">
      {STATUS_STEPS.map((step, index) => (
        <li key={step} class={index < rank ? 'done' : index === rank ? 'current' : 'todo'} aria-current={index === rank ? 'step' : undefined}>
          <span class="dot" aria-hidden="true" />
          {STATUS_LABELS[step]}
          <span class="sr-only">{index < rank ? ' (franchie)' : index === rank ? ' (étape actuelle)' : ' (à venir)'}</span>
        </li>
      ))}
    </ol>
  );
}

export function TrackPage({ reference, token }: { reference: string | null; token: string | null }) {
  const [request, setRequest] = useState<TrackedRequestFragment | null>(null);
  const [problem, setProblem] = useState('');
  const [live, setLive] = useState<LiveState>('connecting');
  const [entries, setEntries] = useState<LiveEntry[]>([]);

  useEffect(() => {
    if (!reference || !token) return;
    setRequest(null);
    setEntries([]);
    setProblem('');
    // A read may come back after a live event; the newer version wins.
    const keepNewest = (next: TrackedRequestFragment) =>
      setRequest((current) => (current && current.updatedAt > next.updatedAt ? current : next));
    // The first read says what went wrong; a later one (after a cursor older than the journal)
    // only gives the stream a fresh starting point. Each read returns the feed position it is
    // consistent with: following from there misses no change made after it.
    const read = (first: boolean): Promise<string | null> =>
      query(TrackRequestDocument, { reference }, { token })
        .then((data) => {
          if (!data.request) {
            setProblem('Aucune demande ne porte cette référence.');
            return null;
          }
          const { cursor, ...version } = data.request;
          keepNewest(version);
          setProblem('');
          return cursor ?? null;
        })
        .catch((error) => {
          if (first) setProblem(error instanceof ApiFailure ? error.message : String(error));
          return null;
        });
    let following: Following | undefined;
    let cancelled = false;
    void read(true).then((readCursor) => {
      if (cancelled) return;
      following = follow({
        document: RequestUpdatedDocument,
        variables: (after) => ({ reference, after }),
        token,
        // The last event received in an earlier visit, else the read's own position.
        cursor: storedCursor(reference) ?? readCursor,
        cursorOf: (data) => data.requestUpdated.cursor,
        onEvent: (data, cursor) => {
          const { cursor: _, ...version } = data.requestUpdated;
          setRequest(version);
          setProblem('');
          if (cursor) {
            storeCursor(reference, cursor);
            setEntries((list) => [...list, { cursor, status: version.status, at: version.updatedAt }]);
          }
        },
        onState: setLive,
        onError: (message, errors) => {
          const codes = errors.map((e) => e.extensions?.code);
          if (codes.includes('UNAUTHENTICATED') || codes.includes('FORBIDDEN')) {
            setProblem(`Suivi impossible : ${message}`);
            return 'stop';
          }
          // A cursor older than the journal keeps: read the request again and follow from there.
          return errors.some((e) => e.extensions?.argument === 'after') ? 'restart' : 'retry';
        },
        restartCursor: () => read(false),
      });
    });
    return () => {
      cancelled = true;
      following?.stop();
    };
  }, [reference, token]);

  if (!reference || !token) return <Lookup />;

  const estimate = request?.estimatedCompletion;
  return (
    <section aria-labelledby="track-title" data-testid="tracking">
      <div class="title-row">
        <h1 id="track-title">Demande {reference}</h1>
        <p class={`live live-${live}`} data-testid="live-state" data-state={live} role="status">{LIVE_LABELS[live]}</p>
      </div>
      {problem && <p role="alert" class="form-error">{problem}</p>}
      {!request && !problem && <p class="muted">Chargement de la demande…</p>}
      {request && (
        <>
          <div class="card">
            <p class="subject">{request.subject}</p>
            <p aria-live="polite" aria-atomic="true">
              Statut : <strong data-testid="status" data-status={request.status}>{STATUS_LABELS[request.status]}</strong>
              <span class="muted"> — mise à jour le {formatDateTime(request.updatedAt)}</span>
            </p>
            <Steps status={request.status} />
            {request.status === 'WAITING_FOR_CITIZEN' && <p class="notice">Le service attend une réponse de votre part : voir le dernier message ci-dessous.</p>}
            {request.status === 'REJECTED' && <p class="notice">La demande a été rejetée : voir le motif ci-dessous.</p>}
            <dl class="facts">
              <dt>Service</dt><dd>{request.service.name}</dd>
              {request.commune && <><dt>Commune</dt><dd>{request.commune.name}</dd></>}
              {request.lycee && <><dt>Lycée</dt><dd>{request.lycee.name}</dd></>}
              <dt>Déposée le</dt><dd>{formatDateTime(request.createdAt)}</dd>
              {request.closedAt && <><dt>Terminée le</dt><dd>{formatDateTime(request.closedAt)}</dd></>}
            </dl>
            {estimate ? (
              <p data-testid="estimate">
                Fin estimée : vers le <strong>{formatDate(estimate.median)}</strong> (entre le {formatDate(estimate.earliest)} et le {formatDate(estimate.latest)}),
                d'après {estimate.basedOn} demandes similaires.
              </p>
            ) : (
              !request.closedAt && <p class="muted">Pas encore d'estimation de fin pour cette demande.</p>
            )}
          </div>
          <h2>Historique</h2>
          <ol class="timeline" data-testid="timeline">
            {request.timeline.map((event, index) => (
              <li key={`${event.at}-${index}`}>
                <time dateTime={event.at}>{formatDateTime(event.at)}</time> — {STATUS_LABELS[event.status]}
                {event.message && <p class="message">{event.message}</p>}
              </li>
            ))}
          </ol>
          <details class="live-log">
            <summary>Mises à jour reçues en direct ({entries.length})</summary>
            <ol data-testid="live-log">
              {entries.map((entry) => (
                <li key={entry.cursor} data-cursor={entry.cursor} data-status={entry.status}>
                  {formatDateTime(entry.at)} — {STATUS_LABELS[entry.status]}
                </li>
              ))}
            </ol>
          </details>
          <p class="muted">Gardez ce lien : <a href={href(['suivre', reference], { token })}>lien de suivi</a>.</p>
        </>
      )}
    </section>
  );
}
