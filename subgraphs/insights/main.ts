import { insightsSubgraphEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startInsightsSubgraph } from './index.ts';

runService('insights', insightsSubgraphEnv, startInsightsSubgraph, { serviceName: 'insights-subgraph' });
