import { runService } from '#platform';
import { loadPollerConfig } from './config.js';
import { PollerModule } from './poller.module.js';

runService(
  'poller',
  () => loadPollerConfig(),
  (config, logger) => PollerModule.register(config, logger),
);
