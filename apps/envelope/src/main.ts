import { createLogger } from '#logger';
import { runMain, startService } from '#platform';
import { loadEnvelopeConfig } from './config.js';
import { EnvelopeModule } from './envelope.module.js';

runMain('envelope', async () => {
  const config = loadEnvelopeConfig();
  const logger = createLogger({ service: 'envelope', level: config.LOG_LEVEL });
  await startService({
    service: 'envelope',
    module: EnvelopeModule.register(config, logger),
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logger,
    tracing: { exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
  });
});
