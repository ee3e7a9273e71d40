/**
 * Déposer une demande: the form behind `submitRequest`. The API validates (BAD_USER_INPUT names
 * each faulty field in `extensions.fields`), and each problem is shown next to its field; then the
 * reference, the service the request went to and why, and a tracking link carrying the token in
 * the URL fragment (never sent to a server, so never in a log).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, describeErrors, execute, query, type ApiError } from '../api/http.ts';
import { CommuneInput, type CommuneChoice } from '../components/CommuneInput.tsx';
import { ROUTING_LABELS } from '../format.ts';
import { LyceesOfCommuneDocument, SubmitRequestDocument, type SubmitRequestMutation } from '../operations/generated.ts';
import { href } from '../router.ts';

/** French wording for the fields the API names in `extensions.argument`. */
const FIELD_MESSAGES: Record<string, string> = {
  'input.subject': "L'objet doit compter de 5 à 200 caractères.",
  'input.description': 'La description doit compter de 10 à 5 000 caractères.',
  'input.commune': 'Choisissez une commune d’Île-de-France dans la liste.',
  'input.lycee': "Ce lycée n'est pas dans la commune choisie.",
  'input.contact.name': 'Indiquez votre nom (120 caractères au plus).',
  'input.contact.email': 'Indiquez une adresse e-mail valide.',
  'input.contact.phone': 'Indiquez un numéro français (06 12 34 56 78 ou +33 6 12 34 56 78), ou laissez vide.',
};

type FieldErrors = Record<string, string>;

/** Every field problem of a BAD_USER_INPUT answer, by argument. */
function fieldErrors(errors: ApiError[]): FieldErrors {
  const found: FieldErrors = {};
  for (const error of errors) {
    if (error.extensions?.code !== 'BAD_USER_INPUT') continue;
    const fields = (error.extensions.fields as { argument: string; reason: string }[] | undefined) ?? [
      { argument: String(error.extensions.argument ?? ''), reason: error.message },
    ];
    for (const field of fields) found[field.argument] = FIELD_MESSAGES[field.argument] ?? field.reason;
  }
  return found;
}

function Field(props: { id: string; label: string; error?: string; hint?: string; children: (describedBy: string | undefined) => preact.ComponentChildren }) {
  const ids = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.hint && <p class="hint" id={`${props.id}-hint`}>{props.hint}</p>}
      {props.children(ids)}
      {props.error && <p class="field-error" id={`${props.id}-error`} data-field-error>{props.error}</p>}
    </div>
  );
}

const newKey = () => crypto.randomUUID();

export function SubmitPage() {
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const [commune, setCommune] = useState<CommuneChoice | null>(null);
  const [lycees, setLycees] = useState<{ uai: string; name: string }[]>([]);
  const [lycee, setLycee] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState('');
  const [sending, setSending] = useState(false);
  const [done, setDone] = useState<SubmitRequestMutation['submitRequest'] | null>(null);
  // One key per request the citizen means to file: a retry after a network failure files nothing twice.
  const idempotencyKey = useRef(newKey());
  const result = useRef<HTMLElement>(null);

  useEffect(() => {
    setLycee('');
    setLycees([]);
    if (!commune) return;
    query(LyceesOfCommuneDocument, { commune: commune.code })
      .then((data) => setLycees(data.commune?.lycees ?? []))
      .catch(() => setLycees([]));
  }, [commune?.code]);

  useEffect(() => {
    if (done) result.current?.focus();
  }, [done]);

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setSending(true);
    setFailure('');
    try {
      const answer = await execute(SubmitRequestDocument, {
        idempotencyKey: idempotencyKey.current,
        input: {
          subject,
          description,
          // An unchosen commune is sent as typed, so that the API names the field.
          commune: commune?.code ?? '',
          lycee: lycee || null,
          channel: 'WEB',
          contact: { name, email, phone: phone.trim() || null },
        },
      });
      const problems = fieldErrors(answer.errors);
      setErrors(problems);
      if (answer.data?.submitRequest) {
        setDone(answer.data.submitRequest);
        idempotencyKey.current = newKey();
      } else if (Object.keys(problems).length > 0) {
        setFailure(`Votre demande n'a pas été envoyée : ${Object.keys(problems).length} champ(s) à corriger.`);
        document.getElementById(fieldId(Object.keys(problems)[0]!))?.focus();
      } else {
        setFailure(describeErrors(answer.errors));
      }
    } catch (error) {
      setFailure(error instanceof ApiFailure ? error.message : String(error));
    } finally {
      setSending(false);
    }
  };

  if (done) {
    const link = href(['suivre', done.request.reference], { token: done.trackingToken });
    const absolute = new URL(link, location.href).href;
    return (
      <section ref={result} tabIndex={-1} aria-labelledby="done-title" class="card success" data-testid="submitted">
        <h1 id="done-title">Votre demande est enregistrée</h1>
        <p>Référence : <strong data-testid="reference">{done.request.reference}</strong></p>
        <p>
          Elle a été transmise à <strong data-testid="service">{done.routing.service.name}</strong>, car {ROUTING_LABELS[done.routing.rule]}
          {done.routing.matched ? <> (<span data-testid="matched">{done.routing.matched}</span>)</> : null}.
        </p>
        <p>Suivez-la en temps réel avec ce lien personnel (il contient votre clé de suivi : gardez-le pour vous) :</p>
        <p><a href={link} data-testid="tracking-link">Suivre la demande {done.request.reference}</a></p>
        <p>
          <label for="tracking-url">Lien à conserver</label>
          <input id="tracking-url" class="wide" readOnly value={absolute} onFocus={(event) => event.currentTarget.select()} />
        </p>
        <button type="button" onClick={() => { setDone(null); setSubject(''); setDescription(''); }}>Déposer une autre demande</button>
      </section>
    );
  }

  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Déposer une demande</h1>
      <p class="lead">Une seule adresse pour toutes vos demandes à la Région : elle est orientée vers le bon service.</p>
      <form onSubmit={onSubmit} noValidate class="card form">
        <Field id={fieldId('input.subject')} label="Objet" error={errors['input.subject']}>
          {(d) => <input id={fieldId('input.subject')} value={subject} maxLength={200} aria-describedby={d} aria-invalid={!!errors['input.subject'] || undefined} onInput={(e) => setSubject(e.currentTarget.value)} />}
        </Field>
        <Field id={fieldId('input.description')} label="Description" error={errors['input.description']} hint="Décrivez la situation : lieu, date, ce que vous attendez.">
          {(d) => <textarea id={fieldId('input.description')} rows={5} value={description} maxLength={5000} aria-describedby={d} aria-invalid={!!errors['input.description'] || undefined} onInput={(e) => setDescription(e.currentTarget.value)} />}
        </Field>
        <Field id={fieldId('input.commune')} label="Commune concernée" error={errors['input.commune']} hint="Tapez le début du nom, puis choisissez dans la liste.">
          {(d) => <CommuneInput id={fieldId('input.commune')} value={commune} onChange={setCommune} describedBy={d} invalid={!!errors['input.commune']} />}
        </Field>
        <Field id={fieldId('input.lycee')} label="Lycée concerné (facultatif)" error={errors['input.lycee']}>
          {(d) => (
            <select id={fieldId('input.lycee')} value={lycee} disabled={!commune || lycees.length === 0} aria-describedby={d} onChange={(e) => setLycee(e.currentTarget.value)}>
              <option value="">{!commune ? "Choisissez d'abord la commune" : lycees.length === 0 ? 'Aucun lycée dans cette commune' : 'Aucun lycée en particulier'}</option>
              {lycees.map((l) => <option key={l.uai} value={l.uai}>{l.name}</option>)}
            </select>
          )}
        </Field>
        <fieldset>
          <legend>Vos coordonnées (jamais publiées)</legend>
          <Field id={fieldId('input.contact.name')} label="Nom" error={errors['input.contact.name']}>
            {(d) => <input id={fieldId('input.contact.name')} autoComplete="name" value={name} aria-describedby={d} aria-invalid={!!errors['input.contact.name'] || undefined} onInput={(e) => setName(e.currentTarget.value)} />}
          </Field>
          <Field id={fieldId('input.contact.email')} label="Adresse e-mail" error={errors['input.contact.email']}>
            {(d) => <input id={fieldId('input.contact.email')} type="email" autoComplete="email" value={email} aria-describedby={d} aria-invalid={!!errors['input.contact.email'] || undefined} onInput={(e) => setEmail(e.currentTarget.value)} />}
          </Field>
          <Field id={fieldId('input.contact.phone')} label="Téléphone (facultatif)" error={errors['input.contact.phone']}>
            {(d) => <input id={fieldId('input.contact.phone')} type="tel" autoComplete="tel" value={phone} aria-describedby={d} aria-invalid={!!errors['input.contact.phone'] || undefined} onInput={(e) => setPhone(e.currentTarget.value)} />}
          </Field>
        </fieldset>
        <p role="alert" class="form-error">{failure}</p>
        <button type="submit" disabled={sending}>{sending ? 'Envoi…' : 'Envoyer la demande'}</button>
      </form>
    </section>
  );
}

/** DOM id of the input for an API argument (`input.contact.email` → `f-input-contact-email`). */
function fieldId(argument: string): string {
  return `f-${argument.replace(/\./g, '-')}`;
}
