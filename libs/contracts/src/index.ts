export * from './topics.js';
export * from './raw-record.js';
export * from './records.js';
export * from './codec.js';
export * from './keys.js';
export * from './proto-path.js';
export * from './conservation.js';
export * from './api-error.js';
