import { lyceesSubgraphEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startLyceesSubgraph } from './index.ts';

runService('lycees', lyceesSubgraphEnv, startLyceesSubgraph, { serviceName: 'lycees-subgraph' });
