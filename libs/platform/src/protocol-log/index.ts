export * from './protocol-trace-recorder.js';
export * from './protocol-log-store.js';
