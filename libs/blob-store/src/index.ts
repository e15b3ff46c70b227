export * from './blob-store.js';
export * from './file-system-blob-store.js';
export * from './record-overflow.js';
export * from './blob-directory-check.js';
export * from './dead-letter.js';
