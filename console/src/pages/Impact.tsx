/**
 * Impact: what the region's action achieves, per département and year — invested euros, per
 * inhabitant, programmes, lycées equipped, open requests — on a map of the 8 départements, with the
 * département's communes (sortable) and the figure over the years. Every number comes from the
 * `impact` fields of the GraphQL API; "Copier la requête" gives a BI user the operation behind the view.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, query } from '../api/http.ts';
import { IdfMap } from '../components/IdfMap.tsx';
import { YearChart } from '../components/YearChart.tsx';
import { formatEuros, formatEurosCents, formatInteger } from '../format.ts';
import {
  DepartementImpactDocument,
  ProgrammeYearsDocument,
  RegionImpactDocument,
  type DepartementImpactQuery,
  type RegionImpactQuery,
} from '../operations/generated.ts';
import { href, replaceRoute } from '../router.ts';

/** The figures of a TerritoryImpact the page can show (the programmes figure counts them). */
interface ImpactFigures {
  investedEur: number;
  perInhabitantEur: number | null;
  investmentCount: number;
  lyceesEquipped: number;
  openRequests: number | null;
  programmes?: unknown[];
}

const FIGURES = {
  investedEur: { label: 'Montant investi', value: (i: ImpactFigures) => i.investedEur, format: formatEuros },
  perInhabitantEur: { label: 'Investi par habitant', value: (i: ImpactFigures) => i.perInhabitantEur, format: formatEurosCents },
  programmes: { label: 'Programmes', value: (i: ImpactFigures) => i.programmes?.length ?? null, format: formatInteger },
  investmentCount: { label: 'Investissements', value: (i: ImpactFigures) => i.investmentCount, format: formatInteger },
  lyceesEquipped: { label: 'Lycées équipés', value: (i: ImpactFigures) => i.lyceesEquipped, format: formatInteger },
  openRequests: { label: 'Demandes ouvertes', value: (i: ImpactFigures) => i.openRequests, format: formatInteger },
} as const;
type FigureKey = keyof typeof FIGURES;
const isFigure = (key: string | null): key is FigureKey => key !== null && key in FIGURES;

const IDF = ['75', '77', '78', '91', '92', '93', '94', '95'];
type Departements = RegionImpactQuery['departements'];
type Detail = NonNullable<DepartementImpactQuery['departement']>;
type SortKey = 'name' | 'population' | FigureKey;

const show = (figure: FigureKey, value: number | null | undefined) => (value == null ? '—' : FIGURES[figure].format(value));

export function ImpactPage({ params }: { params: URLSearchParams }) {
  const [years, setYears] = useState<number[]>([]);
  const [region, setRegion] = useState<Record<number, Departements>>({});
  const [detail, setDetail] = useState<Detail | null>(null);
  const [problem, setProblem] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'investedEur', descending: true });
  const [copied, setCopied] = useState('');

  const dep = IDF.includes(params.get('dep') ?? '') ? params.get('dep')! : '93';
  const figure: FigureKey = isFigure(params.get('figure')) ? (params.get('figure') as FigureKey) : 'investedEur';
  const requestedYear = Number(params.get('year'));
  const year = years.includes(requestedYear) ? requestedYear : defaultYear(years);
  const go = (change: { dep?: string; year?: number; figure?: FigureKey }) =>
    replaceRoute(['impact'], { dep, year, figure, ...change });
  const fail = (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error));

  // The years the programmes span, from the API; then every year of the region (map and chart).
  useEffect(() => {
    query(ProgrammeYearsDocument, {})
      .then(async (data) => {
        const first = Math.min(...data.programmes.map((p) => p.startYear));
        const last = Math.min(Math.max(...data.programmes.map((p) => p.endYear)), new Date().getFullYear());
        const span = Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
        setYears(span);
        const answers = await Promise.all(span.map((y) => query(RegionImpactDocument, { year: y })));
        setRegion(Object.fromEntries(span.map((y, i) => [y, answers[i]!.departements.filter((d) => IDF.includes(d.code))])));
      })
      .catch(fail);
  }, []);

  useEffect(() => {
    if (!year) return;
    setDetail(null);
    const controller = new AbortController();
    query(DepartementImpactDocument, { departement: dep, year }, { signal: controller.signal })
      .then((data) => setDetail(data.departement))
      .catch((error) => (error as Error).name !== 'AbortError' && fail(error));
    return () => controller.abort();
  }, [dep, year]);

  const communes = useMemo(() => {
    const list = [...(detail?.communes ?? [])];
    const key = sort.key;
    const valueOf = (c: Detail['communes'][number]): string | number =>
      key === 'name' ? c.name : key === 'population' ? c.population : (c.impact ? FIGURES[key].value(c.impact) : null) ?? -1;
    list.sort((a, b) => {
      const [x, y] = [valueOf(a), valueOf(b)];
      const order = typeof x === 'string' ? x.localeCompare(String(y), 'fr') : x - (y as number);
      return sort.descending ? -order : order;
    });
    return list;
  }, [detail, sort]);

  const yearRegion = region[year] ?? [];
  const impact = detail?.impact ?? null;
  const copyText = operationFor(dep, year);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(copyText);
      setCopied('Requête copiée dans le presse-papiers.');
    } catch {
      setCopied('Copie impossible ici : sélectionnez la requête ci-dessous.');
    }
  };

  const sortButton = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
      <button type="button" class="sort" onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : key !== 'name' })}>
        {label} <span aria-hidden="true">{sort.key === key ? (sort.descending ? '▼' : '▲') : '↕'}</span>
      </button>
    </th>
  );

  return (
    <section aria-labelledby="impact-title">
      <h1 id="impact-title">Impact de l'action régionale</h1>
      <form class="controls" onSubmit={(e) => e.preventDefault()}>
        <label>Département
          <select value={dep} onChange={(e) => go({ dep: e.currentTarget.value })} data-testid="departement">
            {IDF.map((code) => <option key={code} value={code}>{code} — {yearRegion.find((d) => d.code === code)?.name ?? code}</option>)}
          </select>
        </label>
        <label>Année
          <select value={year} onChange={(e) => go({ year: Number(e.currentTarget.value) })} data-testid="year">
            {years.map((y) => <option key={y} value={y}>{y}</option>)}
          </select>
        </label>
        <label>Indicateur de la carte
          <select value={figure} onChange={(e) => go({ figure: e.currentTarget.value as FigureKey })}>
            {Object.entries(FIGURES).map(([key, f]) => <option key={key} value={key}>{f.label}</option>)}
          </select>
        </label>
      </form>
      {problem && <p role="alert" class="form-error">{problem}</p>}

      <div aria-live="polite" aria-busy={!detail}>
        {detail && impact ? (
          <dl class="totals" data-testid="totals">
            {(Object.keys(FIGURES) as FigureKey[]).filter((k) => k !== 'investmentCount').map((key) => (
              <div key={key}>
                <dt>{FIGURES[key].label}</dt>
                <dd data-figure={key} data-value={FIGURES[key].value(impact) ?? ''}>{show(key, FIGURES[key].value(impact))}</dd>
              </div>
            ))}
          </dl>
        ) : (
          !problem && <p class="muted">Chargement des chiffres…</p>
        )}
        {detail && <p class="muted">{detail.name}, {year} : {formatInteger(detail.population)} habitants, {impact ? formatInteger(impact.investmentCount) : '—'} investissements.</p>}
      </div>

      <div class="impact-grid">
        <div>
          <h2>{FIGURES[figure].label} par département, {year}</h2>
          <IdfMap
            values={yearRegion.map((d) => ({ code: d.code, name: d.name, value: d.impact ? FIGURES[figure].value(d.impact) : null, label: show(figure, d.impact ? FIGURES[figure].value(d.impact) : null) }))}
            selected={dep}
            figureLabel={FIGURES[figure].label}
            linkTo={(code) => href(['impact'], { dep: code, year, figure })}
          />
          <YearChart
            title={`${FIGURES[figure].label}, ${yearRegion.find((d) => d.code === dep)?.name ?? dep}, par année`}
            selectedYear={year}
            points={years.map((y) => {
              const impactOfYear = region[y]?.find((d) => d.code === dep)?.impact;
              const value = impactOfYear ? FIGURES[figure].value(impactOfYear) : null;
              return { year: y, value, label: show(figure, value) };
            })}
          />
          {impact && impact.programmes.length > 0 && (
            <>
              <h2>Programmes, {year}</h2>
              <ul class="programmes">
                {impact.programmes.map((p) => <li key={p.programme.id}>{p.programme.name} : {formatEuros(p.amountEur)} ({p.investmentCount} investissements)</li>)}
              </ul>
            </>
          )}
        </div>
        <div class="table-wrap">
          <h2 id="communes-title">Communes {detail ? `(${detail.communes.length})` : ''}</h2>
          <table aria-labelledby="communes-title" data-testid="communes">
            <thead>
              <tr>
                {sortButton('name', 'Commune')}
                {sortButton('population', 'Habitants')}
                {sortButton('investedEur', 'Investi')}
                {sortButton('perInhabitantEur', 'Par hab.')}
                {sortButton('lyceesEquipped', 'Lycées équipés')}
                {sortButton('openRequests', 'Demandes ouvertes')}
              </tr>
            </thead>
            <tbody>
              {communes.map((c) => (
                <tr key={c.code} data-code={c.code}>
                  <th scope="row">{c.name}</th>
                  <td>{formatInteger(c.population)}</td>
                  <td>{show('investedEur', c.impact?.investedEur)}</td>
                  <td>{show('perInhabitantEur', c.impact?.perInhabitantEur)}</td>
                  <td>{show('lyceesEquipped', c.impact?.lyceesEquipped)}</td>
                  <td>{show('openRequests', c.impact?.openRequests)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      <div class="card">
        <h2>Pour vos outils décisionnels</h2>
        <p>Ces chiffres viennent de l'API GraphQL. La requête ci-dessous les redonne, prête à coller dans l'Explorer ou votre outil.</p>
        <button type="button" onClick={copy} data-testid="copy-query">Copier la requête</button>
        <span role="status" class="muted"> {copied}</span>
        <details>
          <summary>Voir la requête</summary>
          <pre data-testid="query-text">{copyText}</pre>
        </details>
      </div>
    </section>
  );
}

/** The most recent full year the programmes cover (the current one is still under way). */
function defaultYear(years: number[]): number {
  const lastFull = new Date().getFullYear() - 1;
  return years.includes(lastFull) ? lastFull : years.at(-1) ?? lastFull;
}

/** The operations behind the view, with their variables, as a BI user would paste them. */
function operationFor(dep: string, year: number): string {
  return [
    `# Variables : ${JSON.stringify({ departement: dep, year })}`,
    DepartementImpactDocument.toString().trim(),
    '',
    `# Carte et graphique : la même requête par année (variables : ${JSON.stringify({ year })})`,
    RegionImpactDocument.toString().trim(),
  ].join('\n');
}
