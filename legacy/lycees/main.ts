import { lyceesApiEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startLyceesApi } from './index.ts';

runService('lycees-api', lyceesApiEnv, startLyceesApi);
