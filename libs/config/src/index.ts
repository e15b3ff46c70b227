export * from './load-config.js';
export * from './sections.js';
export * from './kafka-connection.js';
export * from './service-sections.js';
