/**
 * Commune type-ahead (WAI-ARIA combobox with a listbox popup): suggestions from
 * `communes(filter: { nameStartsWith })`, arrow keys to move, Enter to choose, Escape to close.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { query } from '../api/http.ts';
import { CommuneSuggestionsDocument, type CommuneSuggestionsQuery } from '../operations/generated.ts';

export type CommuneChoice = CommuneSuggestionsQuery['communes']['edges'][number]['node'];

interface Props {
  id: string;
  value: CommuneChoice | null;
  onChange: (commune: CommuneChoice | null) => void;
  describedBy?: string;
  invalid?: boolean;
}

export function CommuneInput({ id, value, onChange, describedBy, invalid }: Props) {
  const [text, setText] = useState(value ? value.name : '');
  const [options, setOptions] = useState<CommuneChoice[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [status, setStatus] = useState('');
  const pending = useRef<AbortController | null>(null);

  useEffect(() => {
    const prefix = text.trim();
    if (prefix.length < 2 || (value && value.name === text)) {
      setOptions([]);
      return;
    }
    // Wait for a pause in typing: one query per word typed, not per key.
    const timer = setTimeout(async () => {
      pending.current?.abort();
      const controller = new AbortController();
      pending.current = controller;
      try {
        const data = await query(CommuneSuggestionsDocument, { prefix }, { signal: controller.signal });
        const found = data.communes.edges.map((edge) => edge.node);
        setOptions(found);
        setOpen(true);
        setActive(found.length > 0 ? 0 : -1);
        setStatus(found.length === 0 ? 'Aucune commune ne commence ainsi.' : `${found.length} commune${found.length > 1 ? 's' : ''} proposée${found.length > 1 ? 's' : ''}.`);
      } catch (error) {
        if ((error as Error).name !== 'AbortError') setStatus((error as Error).message);
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [text]);

  const choose = (commune: CommuneChoice) => {
    onChange(commune);
    setText(commune.name);
    setOpen(false);
    setOptions([]);
    setStatus(`${commune.name} choisie.`);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' && options.length > 0) {
      event.preventDefault();
      setOpen(true);
      setActive((active + 1) % options.length);
    } else if (event.key === 'ArrowUp' && options.length > 0) {
      event.preventDefault();
      setActive((active - 1 + options.length) % options.length);
    } else if (event.key === 'Enter' && open && active >= 0 && options[active]) {
      event.preventDefault();
      choose(options[active]!);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };

  const listId = `${id}-suggestions`;
  return (
    <div class="combobox">
      <input
        id={id}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={open && options.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? `${listId}-${active}` : undefined}
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        value={text}
        onInput={(event) => {
          setText(event.currentTarget.value);
          if (value) onChange(null);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <ul id={listId} role="listbox" class="suggestions" hidden={!open || options.length === 0} aria-label="Communes proposées">
        {options.map((commune, index) => (
          <li
            key={commune.code}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={index === active}
            onMouseDown={(event) => {
              event.preventDefault();
              choose(commune);
            }}
          >
            {commune.name} <span class="muted">({commune.postalCodes[0] ?? commune.departement.code})</span>
          </li>
        ))}
      </ul>
      <p class="sr-only" aria-live="polite">{status}</p>
    </div>
  );
}
