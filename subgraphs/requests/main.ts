import { requestsSubgraphEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startRequestsSubgraph } from './index.ts';

runService('requests', requestsSubgraphEnv, startRequestsSubgraph, { serviceName: 'requests-subgraph' });
