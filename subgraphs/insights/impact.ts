/**
 * Summaries of investments for a territory or a lycée in one year: what `TerritoryImpact` and
 * `LyceeBudget` show. Pure functions over what the loaders returned.
 */
import { passerelleError } from '../../common/errors.ts';
import { SYSTEM, type Investment, type InvestmentTotal, type Programme } from './connector.ts';

export interface ProgrammeAmount {
  programme: Programme;
  amountEur: number;
  investmentCount: number;
}

export interface TerritoryImpact {
  year: number;
  investedEur: number;
  perInhabitantEur: number | null;
  investmentCount: number;
  lyceesEquipped: number;
  openRequests: number | null;
  programmes: ProgrammeAmount[];
}

/** The fields `@requires` brings from the geo and requests subgraphs. */
export interface RequiredTerritoryFields {
  population?: number | null;
  requestStats?: { open?: number | null } | null;
}

const roundCents = (value: number) => Math.round(value * 100) / 100;

function programmeOf(programmes: Map<string, Programme>, id: string): Programme {
  const programme = programmes.get(id);
  if (!programme) throw passerelleError('LEGACY_ERROR', `${SYSTEM} published an investment under unknown programme ${id}`, { system: SYSTEM });
  return programme;
}

function byProgramme(rows: { programmeId: string; amountEur: number; count: number }[], programmes: Map<string, Programme>): ProgrammeAmount[] {
  const sums = new Map<string, ProgrammeAmount>();
  for (const row of rows) {
    let entry = sums.get(row.programmeId);
    if (!entry) sums.set(row.programmeId, (entry = { programme: programmeOf(programmes, row.programmeId), amountEur: 0, investmentCount: 0 }));
    entry.amountEur += row.amountEur;
    entry.investmentCount += row.count;
  }
  return [...sums.values()].sort((a, b) => b.amountEur - a.amountEur || a.programme.id.localeCompare(b.programme.id));
}

export function territoryImpact(
  year: number,
  totals: InvestmentTotal[],
  programmeList: Programme[],
  territory: RequiredTerritoryFields,
): TerritoryImpact {
  // Without them the gateway did not honour @requires: better an error than a made-up zero.
  if (typeof territory.population !== 'number' || territory.requestStats === undefined) {
    throw new Error('impact needs population and requestStats { open } in the representation (@requires)');
  }
  const programmes = new Map(programmeList.map((p) => [p.id, p]));
  const investedEur = totals.reduce((sum, t) => sum + t.amountEur, 0);
  const equipped = new Set(totals.filter((t) => t.uai !== null && programmeOf(programmes, t.programmeId).equipment).map((t) => t.uai));
  return {
    year,
    investedEur,
    perInhabitantEur: territory.population > 0 ? roundCents(investedEur / territory.population) : null,
    investmentCount: totals.reduce((sum, t) => sum + t.count, 0),
    lyceesEquipped: equipped.size,
    // null when the GRC could not answer: the rest of the impact is still worth returning.
    openRequests: territory.requestStats?.open ?? null,
    programmes: byProgramme(totals, programmes),
  };
}

export function lyceeBudget(year: number, investments: Investment[], programmeList: Programme[]) {
  const programmes = new Map(programmeList.map((p) => [p.id, p]));
  return {
    year,
    totalEur: investments.reduce((sum, i) => sum + i.amountEur, 0),
    programmes: byProgramme(investments.map((i) => ({ programmeId: i.programmeId, amountEur: i.amountEur, count: 1 })), programmes),
  };
}
