import { createLogger } from '#logger';
import { runMain, startService } from '#platform';
import { loadStatusConfig } from './config.js';
import { StatusModule } from './status.module.js';

runMain('status', async () => {
  const config = loadStatusConfig();
  const logger = createLogger({ service: 'status', level: config.LOG_LEVEL });
  await startService({ service: 'status', module: StatusModule.register(config, logger), host: config.HTTP_HOST, port: config.HTTP_PORT, logger });
});
