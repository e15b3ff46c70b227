import { createLogger } from '#logger';
import { runMain, startService } from '#platform';
import { loadPolicyConfig } from './config.js';
import { PolicyModule } from './policy.module.js';

runMain('policy', async () => {
  const config = loadPolicyConfig();
  const logger = createLogger({ service: 'policy', level: config.LOG_LEVEL });
  await startService({
    service: 'policy',
    module: PolicyModule.register(config, logger),
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logger,
    tracing: { exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
  });
});
