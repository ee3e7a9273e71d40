/**
 * Passerelle's gateway with the checks issue 7 added switched off (authorisation, demand control,
 * rate limits, CSRF/CORS, trusted documents…): only the plugins the gateway had before them. For
 * `npm run bench:security` only, which runs it beside the real gateway to measure what the checks
 * cost per request. Never a way to run Passerelle: it has no entry in package.json's start scripts.
 */
import { gatewayEnv } from '../common/config.ts';
import { runService } from '../common/service.ts';
import { defaultPlugins, startGateway } from '../gateway/index.ts';

/** The plugins of the gateway before the security work (names as their factories give them). */
export const BASELINE_PLUGINS = new Set(['authentication', 'depth-limit', 'alias-limit', 'introspection', 'subgraph-timeout']);

runService('gateway', gatewayEnv, (config, logger) =>
  startGateway(config, logger, { plugins: defaultPlugins(config).filter((plugin) => BASELINE_PLUGINS.has(plugin.name)) }),
);
