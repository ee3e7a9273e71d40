import { grcEnv } from '../../common/config.ts';
import { runService } from '../../common/service.ts';
import { startGrc } from './index.ts';

runService('grc', grcEnv, startGrc);
