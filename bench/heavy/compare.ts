/**
 * Before anything is measured, every gateway must answer every query as the reference (stock
 * Apollo) does: HTTP 200, no `errors`, and `data` identical byte for byte once serialised
 * (`JSON.stringify`, so the order of the keys counts too). A fast wrong answer is not a result.
 * Each answer is asked for alone, with the subgraphs' counters reset before it, which also gives
 * the calls each gateway makes to each subgraph for one request.
 */
import { firstDifference, postGraphql, type BenchQuery } from '../queries.ts';
import type { HeavySubgraphName, HeavySubgraphStats } from './federation.ts';

export interface ComparedGateway {
  name: string;
  url: string;
}

/** The counters of the subgraphs behind the gateways (bench/heavy/federation.ts). */
export interface SubgraphCounters {
  stats(): Promise<Record<HeavySubgraphName, HeavySubgraphStats>>;
  resetStats(): Promise<void>;
}

/** One gateway's answer to one query, asked for alone. */
export interface AnswerProfile {
  gateway: string;
  query: string;
  /** Size of the whole response body. */
  bytes: number;
  /** What each subgraph received for this one request (absent without counters). */
  subgraphs?: Record<HeavySubgraphName, HeavySubgraphStats>;
}

export interface Comparison {
  /** Empty when every gateway answered every query as the reference did. */
  problems: string[];
  profiles: AnswerProfile[];
}

/** `gateways` must include `reference` (by name); it is asked first. */
export async function compareAnswers(
  gateways: ComparedGateway[],
  queries: BenchQuery[],
  reference: string,
  counters?: SubgraphCounters,
): Promise<Comparison> {
  const baseline = gateways.find((gateway) => gateway.name === reference);
  if (!baseline) throw new Error(`The reference gateway "${reference}" is not among ${gateways.map((gateway) => gateway.name).join(', ')}.`);
  const ordered = [baseline, ...gateways.filter((gateway) => gateway !== baseline)];
  const problems: string[] = [];
  const profiles: AnswerProfile[] = [];
  for (const query of queries) {
    let expected: { json: string; data: unknown } | undefined;
    for (const gateway of ordered) {
      await counters?.resetStats();
      const answer = await postGraphql(gateway.url, query.body).catch((error: unknown) => error as Error);
      if (answer instanceof Error) {
        problems.push(`${gateway.name}, ${query.name}: no answer (${answer.message})`);
        continue;
      }
      profiles.push({ gateway: gateway.name, query: query.name, bytes: answer.bytes, subgraphs: await counters?.stats() });
      const before = problems.length;
      if (answer.status !== 200) problems.push(`${gateway.name}, ${query.name}: HTTP ${answer.status}`);
      if (answer.errors.length > 0) problems.push(`${gateway.name}, ${query.name}: errors ${JSON.stringify(answer.errors).slice(0, 600)}`);
      if (answer.data === null) problems.push(`${gateway.name}, ${query.name}: no data`);
      const json = JSON.stringify(answer.data);
      if (gateway === baseline) {
        if (problems.length === before) expected = { json, data: answer.data };
        continue;
      }
      if (!expected) continue;
      if (json !== expected.json) {
        const where = firstDifference(expected.data, answer.data) ?? 'the same values, with keys in another order';
        problems.push(`${gateway.name}, ${query.name}: data differs from ${reference}'s (${json.length} vs ${expected.json.length} characters) at ${where}`);
      }
    }
    if (!expected) problems.push(`${reference} gave no usable answer to ${query.name}: nothing to compare with`);
  }
  return { problems, profiles };
}
