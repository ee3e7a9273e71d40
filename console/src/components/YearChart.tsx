/**
 * One figure over the years, as plain SVG bars (no chart library: a handful of rectangles and
 * labels). The values are also given as text for screen readers.
 */
import { formatShort } from './IdfMap.tsx';

export interface YearPoint {
  year: number;
  value: number | null;
  label: string;
}

const WIDTH = 480;
const HEIGHT = 220;
const PAD = { top: 16, right: 8, bottom: 28, left: 56 };

export function YearChart({ points, title, selectedYear }: { points: YearPoint[]; title: string; selectedYear: number }) {
  const max = Math.max(0, ...points.map((p) => p.value ?? 0));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const band = points.length > 0 ? innerW / points.length : innerW;
  const y = (value: number) => PAD.top + innerH - (max > 0 ? (value / max) * innerH : 0);
  const ticks = max > 0 ? [0, max / 2, max] : [0];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title} : ${points.map((p) => `${p.year} ${p.label}`).join(', ')}`} data-testid="year-chart">
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} class="grid" />
            <text x={PAD.left - 6} y={y(tick) + 4} text-anchor="end" class="tick">{formatShort(tick)}</text>
          </g>
        ))}
        {points.map((point, index) => {
          const x = PAD.left + index * band + band * 0.15;
          const top = point.value === null ? y(0) : y(point.value);
          return (
            <g key={point.year} data-year={point.year} data-value={point.value ?? ''}>
              <rect x={x} y={top} width={band * 0.7} height={y(0) - top} class={point.year === selectedYear ? 'bar selected' : 'bar'}>
                <title>{`${point.year} : ${point.label}`}</title>
              </rect>
              <text x={x + band * 0.35} y={HEIGHT - 8} text-anchor="middle" class="tick">{point.year}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
