/**
 * The whole system as real processes on free ports, for end-to-end tests, plus access to the
 * stand-ins' call counters (`/__admin/calls`), so tests can prove what reached each legacy system.
 */
import { startSystem, type RunningSystem } from '../../scripts/system.ts';

export type LegacySystem = 'geo-api' | 'lycees-api' | 'grc' | 'opendata-api';

export interface TestSystem extends RunningSystem {
  adminUrl(system: LegacySystem): string;
  resetCalls(): Promise<void>;
  /** Total calls each legacy system received since the last reset. */
  calls(): Promise<Record<LegacySystem, number>>;
  setFaults(system: LegacySystem, faults: { failureRate?: number; latencyMs?: [number, number] }): Promise<void>;
}

export async function startTestSystem(env: Record<string, string | undefined> = {}): Promise<TestSystem> {
  const system = await startSystem({
    freePorts: true,
    env: { LOG_LEVEL: 'warn', LYCEES_API_LATENCY_MS: '0', GRC_SEED_REQUESTS: '2000', ...env },
  });
  const admin: Record<LegacySystem, string> = {
    'geo-api': system.legacy.geoApi,
    'lycees-api': system.legacy.lyceesApi,
    grc: system.legacy.grcAdmin,
    'opendata-api': system.legacy.opendataApi,
  };
  const names = Object.keys(admin) as LegacySystem[];
  return {
    ...system,
    adminUrl: (name) => admin[name],
    async resetCalls() {
      await Promise.all(names.map((name) => fetch(`${admin[name]}/__admin/reset`, { method: 'POST' })));
    },
    async calls() {
      const entries = await Promise.all(
        names.map(async (name) => {
          const response = await fetch(`${admin[name]}/__admin/calls`);
          const body = (await response.json()) as { total: number };
          return [name, body.total] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<LegacySystem, number>;
    },
    async setFaults(name, faults) {
      await fetch(`${admin[name]}/__admin/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
    },
  };
}
