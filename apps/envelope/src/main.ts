import { runService } from '#platform';
import { loadEnvelopeConfig } from './config.js';
import { EnvelopeModule } from './envelope.module.js';

runService(
  'envelope',
  () => loadEnvelopeConfig(),
  (config, logger) => EnvelopeModule.register(config, logger),
);
