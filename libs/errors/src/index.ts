export * from './journalwire-error.js';
export * from './deadline.js';
