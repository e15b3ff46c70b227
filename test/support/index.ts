export * from './env.js';
export * from './service-process.js';
export * from './journal-generator.js';
export * from './pipeline.js';
export * from './tcp-proxy.js';
export * from './connectors.js';
export * from './hostile-journal.js';
export * from './fault-checks.js';
