import { geoApiEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startGeoApi } from './index.ts';

runService('geo-api', geoApiEnv, startGeoApi);
