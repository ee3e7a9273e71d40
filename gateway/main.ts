import { gatewayEnv } from '../common/config.ts';
import { runService } from '../common/service.ts';
import { startGateway } from './index.ts';

runService('gateway', gatewayEnv, startGateway);
