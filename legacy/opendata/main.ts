import { opendataApiEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startOpendataApi } from './index.ts';

runService('opendata-api', opendataApiEnv, startOpendataApi);
