export * from './kafka-gateway.js';
export * from './processor.js';
export * from './processor-state.js';
export * from './headers.js';
export * from './topic-reader.js';
export * from './conservation-reader.js';
export * from './consumer-lag.js';
export * from './retention-reader.js';
