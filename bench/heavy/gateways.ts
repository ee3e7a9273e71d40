/**
 * The gateways the heavy scenario compares, each in a process of its own on one supergraph file:
 * Passerelle (`gateway/main.ts`, as `npm start` runs it), stock Apollo Server + @apollo/gateway
 * (the baseline), Hive Gateway, and Hive Gateway with `@graphql-hive/router-runtime`; each with
 * in-flight de-duplication of subgraph fetches on and off where the gateway has the switch (stock
 * @apollo/gateway has none).
 */
import { launch } from '../../scripts/launcher.ts';
import { startHiveGateway } from '../hive-gateway.ts';
import { BASELINE } from '../report.ts';
import type { MeasuredGateway } from '../rounds.ts';

export const GATEWAY_KINDS = ['passerelle', 'stock', 'hive', 'hive-router'] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];

const LABEL: Record<GatewayKind, string> = {
  passerelle: 'Passerelle',
  stock: BASELINE,
  hive: 'Hive Gateway',
  'hive-router': 'Hive + router-runtime',
};

export interface GatewayVariant {
  kind: GatewayKind;
  /** In-flight de-duplication; undefined for a gateway without the switch. */
  dedup: boolean | undefined;
  /** Shown in the tables: "Passerelle, dedup on". */
  name: string;
}

export interface StartedGateway extends MeasuredGateway {
  variant: GatewayVariant;
  stop(): Promise<void>;
}

/** Every variant of `kinds` (stock Apollo always, first: the reference), each dedup value where it applies. */
export function gatewayVariants(kinds: readonly GatewayKind[], dedups: readonly boolean[]): GatewayVariant[] {
  const variants: GatewayVariant[] = [{ kind: 'stock', dedup: undefined, name: BASELINE }];
  for (const kind of GATEWAY_KINDS) {
    if (kind === 'stock' || !kinds.includes(kind)) continue;
    for (const dedup of dedups) variants.push({ kind, dedup, name: `${LABEL[kind]}, dedup ${dedup ? 'on' : 'off'}` });
  }
  return variants;
}

/**
 * What Passerelle runs with besides the supergraph: the load comes from one address, so per-IP
 * rate limits and cost budgets would measure refusals, not gateways; and the heavy query's
 * estimated cost (nested lists, no sizes declared) is above the anonymous ceiling, which is a
 * policy choice of the region, not of this benchmark.
 */
export const PASSERELLE_BENCH_ENV = {
  RATE_LIMIT_ANONYMOUS: '0',
  COST_BUDGET_ANONYMOUS: '0',
  MAX_COST_ANONYMOUS: '1000000000',
  LOG_LEVEL: 'warn',
};

/** Starts one variant on `supergraphPath` (whose subgraph URLs are those of the running subgraphs). */
export async function startGatewayVariant(variant: GatewayVariant, supergraphPath: string): Promise<StartedGateway> {
  const dedup = variant.dedup === false ? 'off' : 'on';
  switch (variant.kind) {
    case 'passerelle': {
      const launched = await launch({
        name: variant.name,
        entry: 'gateway/main.ts',
        env: { ...PASSERELLE_BENCH_ENV, PORT: '0', SUPERGRAPH_PATH: supergraphPath, SUBGRAPH_URLS: '', SUBGRAPH_DEDUP: dedup },
      });
      return { name: variant.name, variant, url: launched.urls.graphql!, pid: launched.child.pid, stop: () => launched.stop() };
    }
    case 'stock': {
      const launched = await launch({
        name: variant.name,
        entry: 'bench/stock-apollo-gateway.ts',
        env: { PORT: '0', SUPERGRAPH_PATH: supergraphPath, SUBGRAPH_URLS: '', LOG_LEVEL: 'warn' },
      });
      return { name: variant.name, variant, url: launched.urls.graphql!, pid: launched.child.pid, stop: () => launched.stop() };
    }
    case 'hive':
    case 'hive-router': {
      const hive = await startHiveGateway(supergraphPath, { dedup: variant.dedup, routerRuntime: variant.kind === 'hive-router' });
      return { name: variant.name, variant, url: hive.url, pid: hive.pid, stop: hive.stop };
    }
  }
}
