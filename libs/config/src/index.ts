export * from './load-config.js';
export * from './sections.js';
