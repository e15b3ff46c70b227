export * from './nest-logger.js';
export * from './health.module.js';
export * from './bootstrap.js';
export * from './tokens.js';
export * from './infrastructure.module.js';
export * from './metrics.js';
export * from './tracing.js';
export * from './protocol-log/index.js';
