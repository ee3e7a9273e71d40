/**
 * File d'attente (agents): the requests of the agent's service, then `serviceQueue` live (cursor
 * kept per service, resumed after a drop), with the workflow actions the API allows an agent —
 * qualify, take, resolve (`updateRequestStatus`), assign (`assignRequest`), message (`addMessage`).
 * The token is the agent's bearer token, pasted once and kept in this browser only.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, describeErrors, execute, query } from '../api/http.ts';
import { follow, type LiveState } from '../api/live.ts';
import { STATUS_LABELS, formatDateTime } from '../format.ts';
import {
  AddMessageDocument,
  AssignRequestDocument,
  ServiceQueueDocument,
  ServiceRequestsDocument,
  ServicesDocument,
  UpdateRequestStatusDocument,
  type QueuedRequestFragment,
  type RequestStatus,
  type ServicesQuery,
} from '../operations/generated.ts';

const TOKEN_KEY = 'passerelle:agent-token';
const SERVICE_KEY = 'passerelle:agent-service';
const cursorKey = (service: string) => `passerelle:queue-cursor:${service}`;

const load = (key: string) => { try { return localStorage.getItem(key) ?? ''; } catch { return ''; } };
const save = (key: string, value: string) => { try { if (value) localStorage.setItem(key, value); else localStorage.removeItem(key); } catch { /* storage off: kept for this page only */ } };

const ACTIONS: { status: RequestStatus; label: string }[] = [
  { status: 'QUALIFIED', label: 'Qualifier' },
  { status: 'IN_PROGRESS', label: 'Prendre en charge' },
  { status: 'RESOLVED', label: 'Résoudre' },
];

function Row({ request, token, onChanged }: { request: QueuedRequestFragment & { moved?: boolean; fresh?: boolean }; token: string; onChanged: (r: QueuedRequestFragment) => void }) {
  const [agent, setAgent] = useState('');
  const [message, setMessage] = useState('');
  const [visible, setVisible] = useState(true);
  const [feedback, setFeedback] = useState('');
  const run = async (action: () => Promise<{ data: Record<string, QueuedRequestFragment> | null; errors: { message: string }[] }>, done: string) => {
    setFeedback('…');
    try {
      const result = await action();
      const changed = result.data && Object.values(result.data)[0];
      if (changed) {
        onChanged(changed);
        setFeedback(done);
      } else setFeedback(describeErrors(result.errors));
    } catch (error) {
      setFeedback(error instanceof ApiFailure ? error.message : String(error));
    }
  };
  const id = request.reference;
  return (
    <li class={`queue-item${request.fresh ? ' fresh' : ''}`} data-reference={id} data-status={request.status}>
      <div class="queue-head">
        <strong>{id}</strong> <span class={`badge status-${request.status}`}>{STATUS_LABELS[request.status]}</span>
        {request.moved && <span class="badge">transférée à {request.service.name}</span>}
        <span class="muted"> {request.commune?.name}{request.lycee ? ` — ${request.lycee.name}` : ''} · {formatDateTime(request.updatedAt)}</span>
      </div>
      <p>{request.subject ?? <span class="muted">(objet non visible)</span>}</p>
      <details>
        <summary>Actions</summary>
        <div class="actions">
          {ACTIONS.map((action) => (
            <button key={action.status} type="button" disabled={request.status === action.status}
              onClick={() => run(() => execute(UpdateRequestStatusDocument, { reference: id, status: action.status }, { token }), `${action.label} : fait.`)}>
              {action.label}
            </button>
          ))}
        </div>
        <form class="inline" onSubmit={(e) => { e.preventDefault(); void run(() => execute(AssignRequestDocument, { reference: id, agent }, { token }), `Attribuée à ${agent}.`); }}>
          <label for={`assign-${id}`}>Attribuer à (matricule)</label>
          <input id={`assign-${id}`} value={agent} size={8} onInput={(e) => setAgent(e.currentTarget.value)} />
          <button type="submit" disabled={!agent}>Attribuer</button>
        </form>
        <form class="inline" onSubmit={(e) => { e.preventDefault(); void run(() => execute(AddMessageDocument, { reference: id, body: message, visibleToCitizen: visible }, { token }), 'Message ajouté.'); setMessage(''); }}>
          <label for={`message-${id}`}>Message</label>
          <textarea id={`message-${id}`} rows={2} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
          <label class="check"><input type="checkbox" checked={visible} onChange={(e) => setVisible(e.currentTarget.checked)} /> visible par l'usager</label>
          <button type="submit" disabled={!message.trim()}>Envoyer</button>
        </form>
        <p role="status" class="muted">{feedback}</p>
      </details>
    </li>
  );
}

export function QueuePage() {
  const [token, setToken] = useState(() => load(TOKEN_KEY));
  const [draft, setDraft] = useState(token);
  const [services, setServices] = useState<ServicesQuery['services']>([]);
  const [service, setService] = useState(() => load(SERVICE_KEY));
  const [items, setItems] = useState<(QueuedRequestFragment & { moved?: boolean; fresh?: boolean })[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [live, setLive] = useState<LiveState>('stopped');
  const [problem, setProblem] = useState('');
  const [announce, setAnnounce] = useState('');

  useEffect(() => {
    query(ServicesDocument, {}).then((d) => setServices(d.services)).catch((e) => setProblem(String((e as Error).message)));
  }, []);

  const merge = (request: QueuedRequestFragment, fresh: boolean) =>
    setItems((list) => {
      const rest = list.filter((r) => r.reference !== request.reference);
      const known = rest.length !== list.length;
      if (!known && fresh) setAnnounce(`Nouvelle demande ${request.reference} : ${request.subject ?? ''}`);
      return [{ ...request, moved: request.service.code !== service, fresh: fresh && !known }, ...rest];
    });

  useEffect(() => {
    if (!token || !service) return;
    setItems([]);
    setProblem('');
    query(ServiceRequestsDocument, { service }, { token })
      .then((d) => {
        setTotal(d.requests.totalCount);
        setItems((list) => [...list, ...d.requests.edges.map((e) => e.node).filter((n) => !list.some((r) => r.reference === n.reference))]);
      })
      .catch((e) => setProblem(e instanceof ApiFailure ? e.message : String(e)));
    const following = follow({
      document: ServiceQueueDocument,
      variables: (after) => ({ service, after }),
      token,
      cursor: load(cursorKey(service)) || null,
      cursorOf: (data) => data.serviceQueue.cursor,
      onEvent: (data, cursor) => {
        if (cursor) save(cursorKey(service), cursor);
        const { cursor: _, ...request } = data.serviceQueue;
        merge(request, true);
      },
      onState: setLive,
      onError: (message, errors) => {
        const codes = errors.map((e) => e.extensions?.code);
        if (codes.includes('UNAUTHENTICATED') || codes.includes('FORBIDDEN') || codes.includes('UNAUTHORIZED_FIELD_OR_TYPE')) {
          setProblem(`File d'attente indisponible : ${message}`);
          return 'stop';
        }
        if (errors.some((e) => e.extensions?.argument === 'after')) {
          save(cursorKey(service), '');
          return 'restart';
        }
        return 'retry';
      },
    });
    return () => following.stop();
  }, [token, service]);

  return (
    <section aria-labelledby="queue-title">
      <div class="title-row">
        <h1 id="queue-title">File d'attente</h1>
        {token && service && <p class={`live live-${live}`} role="status" data-testid="live-state" data-state={live}>{live === 'live' ? 'en direct' : live === 'reconnecting' ? 'reconnexion…' : live === 'connecting' ? 'connexion…' : ''}</p>}
      </div>
      <form class="card form" onSubmit={(e) => { e.preventDefault(); save(TOKEN_KEY, draft.trim()); setToken(draft.trim()); }}>
        <div class="field">
          <label for="agent-token">Jeton d'agent</label>
          <p class="hint" id="agent-token-hint">Collez votre jeton (en développement : <code>npm run -s token -- --agent AG0001</code>). Il reste dans ce navigateur.</p>
          <input id="agent-token" class="wide" type="password" autoComplete="off" aria-describedby="agent-token-hint" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="agent-service">Service</label>
          <select id="agent-service" value={service} onChange={(e) => { save(SERVICE_KEY, e.currentTarget.value); setService(e.currentTarget.value); }}>
            <option value="">Choisissez votre service</option>
            {services.map((s) => <option key={s.code} value={s.code}>{s.name} ({s.code})</option>)}
          </select>
        </div>
        <button type="submit">Utiliser ce jeton</button>
        {token && <button type="button" class="secondary" onClick={() => { save(TOKEN_KEY, ''); setToken(''); setDraft(''); }}>Oublier le jeton</button>}
      </form>
      {problem && <p role="alert" class="form-error">{problem}</p>}
      <p class="sr-only" aria-live="polite">{announce}</p>
      {token && service && (
        <>
          <p class="muted">{total !== null ? `${total} demande(s) dans ce service ; les plus récentes d'abord.` : 'Chargement…'}</p>
          <ul class="queue" data-testid="queue">
            {items.map((request) => <Row key={request.reference} request={request} token={token} onChanged={(r) => merge(r, false)} />)}
          </ul>
        </>
      )}
    </section>
  );
}
