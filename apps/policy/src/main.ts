import { runService } from '#platform';
import { loadPolicyConfig } from './config.js';
import { PolicyModule } from './policy.module.js';

runService(
  'policy',
  () => loadPolicyConfig(),
  (config, logger) => PolicyModule.register(config, logger),
);
