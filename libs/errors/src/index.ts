export * from './journalwire-error.js';
