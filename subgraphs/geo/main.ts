import { geoSubgraphEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startGeoSubgraph } from './index.ts';

runService('geo', geoSubgraphEnv, startGeoSubgraph, { serviceName: 'geo-subgraph' });
