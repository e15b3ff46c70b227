import { createLogger } from '#logger';
import { runMain, startService } from '#platform';
import { loadPollerConfig } from './config.js';
import { PollerModule } from './poller.module.js';

runMain('poller', async () => {
  const config = loadPollerConfig();
  const logger = createLogger({ service: 'poller', level: config.LOG_LEVEL });
  await startService({
    service: 'poller',
    module: PollerModule.register(config, logger),
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logger,
    tracing: { exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
  });
});
