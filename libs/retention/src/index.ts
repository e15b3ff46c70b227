export * from './database-pruning.js';
export * from './blob-pruning.js';
export * from './retention-job.js';
