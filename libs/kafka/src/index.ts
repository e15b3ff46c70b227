export * from './kafka-gateway.js';
export * from './processor.js';
export * from './headers.js';
